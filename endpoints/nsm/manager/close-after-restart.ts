/**
 * Lets a client close a connection that an earlier run of this NSM made: begin ignores a Close for an
 * id it does not hold, which after a restart would leave the veth pair and the endpoint's connection
 * behind. A connection whose manager segment was last stamped before this run started is first
 * requested again (the forwarder adopts its pair), then closed. Ids this run stamped and no longer
 * holds were closed already, and pass as usual.
 */
import type { Logger } from 'pino';

import {
  cloneConnection,
  currentSegment,
  messageOf,
  type NetworkServiceServer,
  timestampToMs,
} from '../../../sdk/core/index.js';

export interface CloseAfterRestartOptions {
  /** When this run of the manager started (ms since the epoch). */
  readonly startedAt: number;
  /** The lifetime of the manager's own tokens: its segment's `expires` minus this is when it was stamped. */
  readonly tokenLifetimeMs: number;
  readonly logger: Logger;
}

/** Put right after updatepath, before begin. */
export function closeAfterRestartServer(options: CloseAfterRestartOptions): NetworkServiceServer {
  return {
    kind: 'server',
    name: 'closeAfterRestart',
    request: (ctx, request, next) => next.request(ctx, request),
    close: async (ctx, connection, next) => {
      const expires = timestampToMs(currentSegment(connection)?.expires);
      const stampedBefore = expires !== undefined && expires - options.tokenLifetimeMs < options.startedAt;
      if (stampedBefore && connection.mechanism !== null) {
        try {
          await next.request(ctx, { connection: cloneConnection(connection), mechanism_preferences: [] });
        } catch (error) {
          options.logger.warn(
            { connectionId: connection.id, error: messageOf(error) },
            'a connection from before the restart could not be taken over to close it',
          );
        }
      }
      await next.close(ctx, connection);
    },
  };
}
