import type { Context } from '../context.js';
import { runClose, runRequest } from '../chain.js';
import type { NetworkServiceClient, NetworkServiceServer, Next } from '../element.js';
import { joinErrors, messageOf } from '../errors.js';
import type { Connection, NetworkServiceRequest } from '../types.js';

async function request(
  client: NetworkServiceClient,
  ctx: Context,
  request: NetworkServiceRequest,
  next: Next,
): Promise<Connection> {
  request.connection = await runRequest(client, ctx, request);
  try {
    return await next.request(ctx, request);
  } catch (error) {
    // The request's own context may be what failed; the client's connection still has to go.
    const [closeCtx, cancel] = ctx.postpone();
    try {
      await runClose(client, closeCtx, request.connection);
    } catch (closeError) {
      ctx.logger.warn(
        { connectionId: request.connection.id, error: messageOf(closeError) },
        'connect: closing the client after a failed request failed too',
      );
    } finally {
      cancel();
    }
    throw error;
  }
}

async function close(
  client: NetworkServiceClient,
  ctx: Context,
  connection: Connection,
  next: Next,
): Promise<void> {
  let clientError: unknown;
  try {
    await runClose(client, ctx, connection);
  } catch (error) {
    clientError = error;
  }
  try {
    await next.close(ctx, connection);
  } catch (serverError) {
    throw clientError === undefined ? serverError : joinErrors(serverError, clientError);
  }
  if (clientError !== undefined) throw clientError;
}

/**
 * Continues a server chain into `client` (a client chain ending in a terminal element, e.g. toward the
 * next hop): the client's returned connection is what the rest of the server chain sees; when the rest
 * fails, the client connection is closed again. Close closes both sides and reports both errors.
 */
export function connectServer(client: NetworkServiceClient): NetworkServiceServer {
  return {
    kind: 'server',
    name: 'connect',
    request: (ctx, req, next) => request(client, ctx, req, next),
    close: (ctx, connection, next) => close(client, ctx, connection, next),
  };
}
