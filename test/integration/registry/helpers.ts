import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRegistry, type Registry, registryServices } from '../../../endpoints/nsm/registry/index.js';
import { type RunningGrpcServer, startGrpcServer } from '../../../sdk/grpc/index.js';

export interface RunningRegistry {
  readonly registry: Registry;
  readonly server: RunningGrpcServer;
  stop(): Promise<void>;
}

/** A registry served over real gRPC on a unix socket, as the embedded NSM serves it. */
export async function startRegistry(address: string, expiryMs?: number): Promise<RunningRegistry> {
  const registry = createRegistry({ expiryMs });
  const server = await serveRegistry(address, registry);
  return {
    registry,
    server,
    stop: async () => {
      registry.close();
      await server.stop(1000);
    },
  };
}

/** Serves an existing registry (e.g. again, after its server went away). */
export function serveRegistry(address: string, registry: Registry): Promise<RunningGrpcServer> {
  return startGrpcServer({ listen: address, services: registryServices(registry) });
}

/** A fresh directory for sockets, removed by `remove`. */
export function socketDirectory(): { address(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'meridio-registry-'));
  return {
    address: (name) => `unix://${join(dir, name)}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Reads an async iterable one value at a time. */
export function reader<T>(iterable: AsyncIterable<T>) {
  const iterator = iterable[Symbol.asyncIterator]();
  const seen: T[] = [];
  return {
    seen,
    async next(): Promise<T> {
      const result = await iterator.next();
      if (result.done) throw new Error('the watch ended');
      seen.push(result.value);
      return result.value;
    },
    /** Reads until `predicate` holds for a value, and returns that value. */
    async until(predicate: (value: T) => boolean): Promise<T> {
      for (;;) {
        const value = await this.next();
        if (predicate(value)) return value;
      }
    },
    async stop(): Promise<void> {
      await iterator.return?.();
    },
  };
}
