import { InvalidArgumentError, messageOf, type NetworkServiceClient } from '../../core/index.js';
import type { LoopbackVips } from './loopback-vips.js';

export interface LoopbackVipOptions {
  /** The target's VIPs on its loopback device (VIP changes go through it too). */
  readonly loopback: LoopbackVips;
}

/**
 * Puts the target's VIPs on its loopback device before the connection is requested (so the target
 * answers them as soon as traffic can arrive) and keeps them while the connection lives; takes them off
 * when a new connection fails and on close.
 */
export function loopbackVipClient(options: LoopbackVipOptions): NetworkServiceClient {
  const { loopback } = options;
  const held = new Set<string>();
  return {
    kind: 'client',
    name: 'loopbackVip',
    request: async (ctx, request, next) => {
      const id = request.connection?.id ?? '';
      if (id === '') {
        throw new InvalidArgumentError('the request has no connection id: put loopbackVip after updatepath');
      }
      const isNew = !held.has(id);
      try {
        await loopback.hold(id);
        held.add(id);
        return await next.request(ctx, request);
      } catch (error) {
        if (isNew) {
          held.delete(id);
          await loopback.release(id).catch(() => undefined);
        }
        throw error;
      }
    },
    close: async (ctx, connection, next) => {
      held.delete(connection.id);
      try {
        await loopback.release(connection.id);
      } catch (error) {
        ctx.logger.warn(
          { connectionId: connection.id, device: loopback.device, error: messageOf(error) },
          'cannot remove the VIPs from the loopback device',
        );
      } finally {
        await next.close(ctx, connection);
      }
    },
  };
}
