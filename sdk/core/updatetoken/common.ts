import { msToTimestamp } from '../connection.js';
import type { Context } from '../context.js';
import type { Next } from '../element.js';
import { InvalidArgumentError, messageOf } from '../errors.js';
import type { Connection, NetworkServiceRequest } from '../types.js';
import type { TokenGenerator } from './token.js';

async function stampSegment(
  ctx: Context,
  connection: Connection | null,
  generate: TokenGenerator,
): Promise<void> {
  const path = connection?.path;
  const segment = path?.path_segments[path.index];
  if (segment === undefined) {
    throw new InvalidArgumentError(
      `updatetoken found no path segment at index ${path?.index ?? 0}: put updatepath before updatetoken`,
    );
  }
  const issued = await generate(ctx);
  segment.token = issued.token;
  segment.expires = msToTimestamp(issued.expiresMs);
}

export async function updateTokenRequest(
  generate: TokenGenerator,
  ctx: Context,
  request: NetworkServiceRequest,
  next: Next,
): Promise<Connection> {
  await stampSegment(ctx, request.connection, generate);
  return next.request(ctx, request);
}

export async function updateTokenClose(
  generate: TokenGenerator,
  ctx: Context,
  connection: Connection,
  next: Next,
): Promise<void> {
  try {
    await stampSegment(ctx, connection, generate);
  } catch (error) {
    // Close is best effort: the rest of the chain must still release what it holds.
    ctx.logger.warn(
      { connectionId: connection.id, error: messageOf(error) },
      'updatetoken: no token for close',
    );
  }
  return next.close(ctx, connection);
}
