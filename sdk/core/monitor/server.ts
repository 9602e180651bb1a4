import type { NetworkServiceServer } from '../element.js';
import { Code, codeOf } from '../errors.js';
import { type Connection, State } from '../types.js';
import { type ConnectionMonitor, ConnectionHub } from './connection-monitor.js';

/** The monitor element and the `ConnectionMonitor` it feeds. */
export interface MonitorServer extends NetworkServiceServer {
  readonly monitor: ConnectionMonitor;
}

export interface MonitorServerOptions {
  /** The chain's lifetime: when it aborts, every subscription ends. */
  readonly signal?: AbortSignal;
}

/**
 * Answers by which the far side refused a refresh and kept the connection as it was (the element
 * contract's rule 4): an identifier another target holds, a bad value. The connection is not DOWN —
 * reporting it so would make the client's heal tear a working connection down.
 */
const REFUSALS: ReadonlySet<Code> = new Set([
  Code.INVALID_ARGUMENT,
  Code.ALREADY_EXISTS,
  Code.PERMISSION_DENIED,
  Code.UNAUTHENTICATED,
  Code.FAILED_PRECONDITION,
  Code.OUT_OF_RANGE,
  Code.RESOURCE_EXHAUSTED,
]);

/**
 * Publishes the connections that pass through it to its `monitor`: UPDATE after a successful Request,
 * UPDATE with state DOWN when a refresh of a held connection fails (unless the failure is a refusal,
 * see REFUSALS), DELETE on Close (after next, even when next fails), which also removes the connection
 * from the monitor.
 */
export function monitorServer(options: MonitorServerOptions = {}): MonitorServer {
  const hub = new ConnectionHub(options.signal);
  return {
    kind: 'server',
    name: 'monitor',
    monitor: hub,
    request: async (ctx, request, next) => {
      const id = request.connection?.id ?? '';
      let connection: Connection;
      try {
        connection = await next.request(ctx, request);
      } catch (error) {
        // A failed refresh: the connection as last reported, now DOWN — unless the refresh was refused.
        const held = hub.held(id);
        if (held !== undefined && !REFUSALS.has(codeOf(error))) hub.update({ ...held, state: State.DOWN });
        throw error;
      }
      hub.update(connection);
      return connection;
    },
    close: async (ctx, connection, next) => {
      try {
        await next.close(ctx, connection);
      } finally {
        hub.delete(connection);
      }
    },
  };
}
