import { previousSegment, timestampToMs } from '../connection.js';
import type { Context } from '../context.js';
import { eventFactoryOf } from '../begin/index.js';
import type { NetworkServiceServer, Next } from '../element.js';
import { FailedPreconditionError, messageOf } from '../errors.js';
import { closeAfterFailure } from '../rollback.js';
import { serverMetadata } from '../metadata/index.js';
import type { Connection, NetworkServiceRequest } from '../types.js';
import { cancelExpiry, ExpiryTimer, hasExpiry, storeExpiry } from './metadata.js';

async function request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
  const metadata = serverMetadata(ctx);
  const events = eventFactoryOf(ctx);
  const refresh = hasExpiry(metadata);
  const connection = await next.request(ctx, request);
  const previous = previousSegment(connection);
  const expiresMs = timestampToMs(previous?.expires);
  if (expiresMs === undefined) {
    const error = new FailedPreconditionError(
      `connection ${connection.id} cannot expire: its previous path segment ` +
        `${previous ? `"${previous.name}" has no expires time` : 'is missing'}; the client must set its ` +
        'segment token and expiry (updatetoken)',
    );
    // A refresh keeps the connection and its current expiry; a new connection is closed downstream.
    if (!refresh) return closeAfterFailure(ctx, connection, (c, conn) => next.close(c, conn), error);
    throw error;
  }
  cancelExpiry(metadata);
  const logger = ctx.logger;
  const id = connection.id;
  const expiry = new ExpiryTimer(ctx.clock, expiresMs - ctx.clock.now(), (cancel) => {
    logger.info({ connectionId: id }, 'connection expired: the client stopped refreshing; closing it');
    events.close({ cancel }).catch((error: unknown) => {
      logger.warn({ connectionId: id, error: messageOf(error) }, 'closing an expired connection failed');
    });
  });
  storeExpiry(metadata, expiry.start());
  return connection;
}

async function close(ctx: Context, connection: Connection, next: Next): Promise<void> {
  try {
    cancelExpiry(serverMetadata(ctx));
  } finally {
    await next.close(ctx, connection);
  }
}

/**
 * Closes the connection through begin's event factory when the previous path segment's token expires
 * (the client stopped refreshing); a new Request reschedules, Close cancels the pending expiry.
 */
export function timeoutServer(): NetworkServiceServer {
  return { kind: 'server', name: 'timeout', request, close };
}
