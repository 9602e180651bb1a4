import {
  closeAfterFailure,
  type Connection,
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
        await routing.removeNexthops(connection.id).catch(() => undefined);
        return closeAfterFailure(ctx, connection, (c, conn) => next.close(c, conn), error);
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
