import {
  type Connection,
  type Context,
  joinErrors,
  messageOf,
  type NetworkServiceClient,
} from '../../core/index.js';
import type { Nexthop, VipRouting } from './vip-routing.js';

/**
 * A client element that gives `routing` the nexthops `nexthopsOf` reads from each returned connection
 * (one source per connection), and takes them back on close. A new connection whose routes cannot be
 * set is closed; a refresh keeps its connection and reports the error.
 */
export function vipRouteElement(
  name: string,
  routing: VipRouting,
  nexthopsOf: (connection: Connection) => Nexthop[],
): NetworkServiceClient {
  const held = new Set<string>();
  async function closeDownstream(
    ctx: Context,
    connection: Connection,
    next: { close(ctx: Context, connection: Connection): Promise<void> },
    cause: unknown,
  ): Promise<never> {
    const [closeCtx, cancel] = ctx.postpone();
    try {
      await routing.removeNexthops(connection.id).catch(() => undefined);
      await next.close(closeCtx, connection);
    } catch (closeError) {
      throw joinErrors(cause, closeError);
    } finally {
      cancel();
    }
    throw cause;
  }
  return {
    kind: 'client',
    name,
    request: async (ctx, request, next) => {
      const connection = await next.request(ctx, request);
      const isNew = !held.has(connection.id);
      try {
        await routing.setNexthops(connection.id, nexthopsOf(connection));
      } catch (error) {
        if (!isNew) throw error;
        return closeDownstream(ctx, connection, next, error);
      }
      held.add(connection.id);
      return connection;
    },
    close: async (ctx, connection, next) => {
      held.delete(connection.id);
      try {
        await routing.removeNexthops(connection.id);
      } catch (error) {
        ctx.logger.warn(
          { connectionId: connection.id, error: messageOf(error) },
          'cannot remove the VIP source routes of the connection',
        );
      } finally {
        await next.close(ctx, connection);
      }
    },
  };
}
