import pino, { type Logger } from 'pino';

import type { Connection, Context, Next, NetworkServiceRequest } from '../../core/index.js';
import { interfaceNameOf, isKernelMechanism, netnsUrlOf } from '../kernel-mechanism/index.js';
import { InterfaceWatcher } from './interface-watcher.js';

export interface InterfaceMonitorOptions {
  /** Where watch failures (a namespace that cannot be found or opened) are reported. Default: silent. */
  readonly logger?: Logger;
  /** The element's lifetime: when it aborts, every watch stops. */
  readonly signal?: AbortSignal;
}

/** The handlers both halves share: watch after a successful Request, stop before Close goes on. */
export function monitorHandlers(options: InterfaceMonitorOptions): {
  watcher: InterfaceWatcher;
  request: (ctx: Context, request: NetworkServiceRequest, next: Next) => Promise<Connection>;
  close: (ctx: Context, connection: Connection, next: Next) => Promise<void>;
} {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'interface-monitor' });
  const watcher = new InterfaceWatcher(logger);
  options.signal?.addEventListener('abort', () => watcher.stop(), { once: true });
  return {
    watcher,
    request: async (ctx, request, next) => {
      const connection = await next.request(ctx, request);
      const mechanism = connection.mechanism;
      if (!options.signal?.aborted && isKernelMechanism(mechanism) && interfaceNameOf(mechanism) !== '') {
        watcher.watch(connection.id, netnsUrlOf(mechanism), interfaceNameOf(mechanism));
      }
      return connection;
    },
    close: async (ctx, connection, next) => {
      watcher.unwatch(connection.id);
      await next.close(ctx, connection);
    },
  };
}
