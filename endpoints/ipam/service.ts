/** Assembles the IPAM process: SQLite store, allocator, gRPC server with health; and takes it down. */
import type { Logger } from 'pino';

import { systemClock, type Clock } from '../../sdk/core/index.js';
import { startGrpcServer, type RunningGrpcServer } from '../../sdk/grpc/index.js';
import { SubnetAllocator } from './allocator.js';
import { ipamGrpcService } from './grpc-service.js';
import { SqliteAllocationStore } from './store.js';

export interface IpamServiceOptions {
  readonly listen: string;
  /** SQLite file, or `:memory:`. */
  readonly databasePath: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface RunningIpamService {
  readonly allocator: SubnetAllocator;
  readonly server: RunningGrpcServer;
  /** Drains the server, then closes the database. */
  stop(): Promise<void>;
}

export async function startIpamService(options: IpamServiceOptions): Promise<RunningIpamService> {
  const store = SqliteAllocationStore.open(options.databasePath);
  try {
    const allocator = new SubnetAllocator(store, options.clock ?? systemClock, options.logger);
    const server = await startGrpcServer({
      listen: options.listen,
      services: [ipamGrpcService(allocator, options.logger)],
      logger: options.logger,
    });
    let stopping: Promise<void> | undefined;
    return {
      allocator,
      server,
      stop: () =>
        (stopping ??= (async () => {
          await server.stop();
          store.close();
        })()),
    };
  } catch (error) {
    store.close();
    throw error;
  }
}
