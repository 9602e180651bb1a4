/** Assembles the NSP process: SQLite store, registry, gRPC server with health; and takes it down. */
import type { Logger } from 'pino';

import { systemClock, type Clock } from '../../sdk/core/index.js';
import { startGrpcServer, type RunningGrpcServer } from '../../sdk/grpc/index.js';
import { nspGrpcService } from './grpc-service.js';
import { TargetRegistry } from './registry.js';
import { SqliteTargetStore } from './store.js';

export interface NspServiceOptions {
  readonly listen: string;
  /** SQLite file, or `:memory:`. */
  readonly databasePath: string;
  readonly keepaliveMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly maxQueuedEvents?: number;
}

export interface RunningNspService {
  readonly registry: TargetRegistry;
  readonly server: RunningGrpcServer;
  /** Ends the Monitor streams, drains the server, closes the database. */
  stop(): Promise<void>;
}

export async function startNspService(options: NspServiceOptions): Promise<RunningNspService> {
  const store = SqliteTargetStore.open(options.databasePath);
  let registry: TargetRegistry | undefined;
  try {
    registry = new TargetRegistry({
      store,
      clock: options.clock ?? systemClock,
      keepaliveMs: options.keepaliveMs,
      logger: options.logger,
      maxQueuedEvents: options.maxQueuedEvents,
    });
    const server = await startGrpcServer({
      listen: options.listen,
      services: [nspGrpcService(registry, options.logger)],
      logger: options.logger,
    });
    const running = registry;
    let stopping: Promise<void> | undefined;
    return {
      registry: running,
      server,
      stop: () =>
        (stopping ??= (async () => {
          // Ending the streams first lets the server drain instead of waiting for its grace period.
          running.close();
          await server.stop();
          store.close();
        })()),
    };
  } catch (error) {
    registry?.close();
    store.close();
    throw error;
  }
}
