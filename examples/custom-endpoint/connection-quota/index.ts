import {
  type Connection,
  type Context,
  InvalidArgumentError,
  type NetworkServiceRequest,
  type NetworkServiceServer,
  type Next,
  ResourceExhaustedError,
} from '../../../sdk/core/index.js';

export interface ConnectionQuota extends NetworkServiceServer {
  /** Connections that hold a slot now. */
  active(): number;
}

/**
 * Admits at most `max` connections at a time: a Request for a new connection id takes a slot before the
 * rest of the chain runs and gives it back if the rest fails; a refresh of an admitted id passes; Close
 * frees the slot (once, however often it is called) and always continues down the chain.
 */
export function connectionQuota(max: number): ConnectionQuota {
  if (!Number.isInteger(max) || max < 1) {
    throw new InvalidArgumentError(`a connection quota must be a whole number of at least 1, not ${max}`);
  }
  const admitted = new Set<string>();
  return {
    kind: 'server',
    name: 'connectionQuota',
    active: () => admitted.size,
    async request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
      const id = request.connection?.id ?? '';
      if (admitted.has(id)) return next.request(ctx, request);
      if (admitted.size >= max) {
        const quota = max === 1 ? '1 connection' : `${max} connections`;
        throw new ResourceExhaustedError(`the endpoint is at its quota of ${quota}: close one first`);
      }
      // Take the slot before next runs, so concurrent requests for other ids cannot overshoot the quota.
      admitted.add(id);
      try {
        return await next.request(ctx, request);
      } catch (error) {
        admitted.delete(id);
        throw error;
      }
    },
    async close(ctx: Context, connection: Connection, next: Next): Promise<void> {
      admitted.delete(connection.id);
      return next.close(ctx, connection);
    },
  };
}
