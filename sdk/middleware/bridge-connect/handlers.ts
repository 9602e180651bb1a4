import pino from 'pino';

import {
  type Connection,
  type Context,
  closeAfterFailure,
  messageOf,
  type NetworkServiceRequest,
  type Next,
} from '../../core/index.js';
import { interfaceNameOf } from '../kernel-mechanism/index.js';
import { BridgeAttachments } from './attachments.js';
import type { BridgeConnectOptions } from './options.js';

/**
 * The handlers both halves share. `attachNow(connectionId)` says whether the interface is expected to
 * exist when next returns (always on the client side, where the forwarder made it before answering;
 * on the endpoint side only when the monitor has seen it); otherwise the monitor's event attaches it.
 */
export function bridgeConnectHandlers(
  options: BridgeConnectOptions,
  attachNow: (connectionId: string) => boolean,
): {
  request: (ctx: Context, request: NetworkServiceRequest, next: Next) => Promise<Connection>;
  close: (ctx: Context, connection: Connection, next: Next) => Promise<void>;
} {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'bridge-connect' });
  const attachments = new BridgeAttachments(options.ports, options.interfaces, logger);
  return {
    request: async (ctx, request, next) => {
      const connection = await next.request(ctx, request);
      const name = interfaceNameOf(connection.mechanism);
      if (name === '') return connection;
      const isNew = attachments.release(connection.id) === undefined;
      attachments.hold(connection.id, name);
      if (!attachNow(connection.id)) return connection;
      try {
        await attachments.attach(name);
      } catch (error) {
        // A refresh keeps its connection (the monitor attaches the interface when it comes back).
        if (!isNew) throw error;
        attachments.release(connection.id);
        return closeAfterFailure(ctx, connection, (c, conn) => next.close(c, conn), error);
      }
      return connection;
    },
    close: async (ctx, connection, next) => {
      const name = attachments.release(connection.id);
      try {
        if (name !== undefined) await attachments.detach(name);
      } catch (error) {
        ctx.logger.warn(
          { connectionId: connection.id, interface: name, error: messageOf(error) },
          `cannot release the interface from ${options.ports.bridge}`,
        );
      } finally {
        await next.close(ctx, connection);
      }
    },
  };
}
