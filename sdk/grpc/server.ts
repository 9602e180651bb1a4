import { rmSync } from 'node:fs';

import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';

import { UnavailableError } from '../core/errors.js';
import { parseServiceAddress, type ServiceAddress } from './address.js';

export interface ServiceRegistration {
  /** The fully qualified service name, e.g. `nsp.NetworkServicePlateformService`; reported SERVING. */
  readonly name: string;
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  readonly listen: string;
  readonly services: readonly ServiceRegistration[];
  readonly logger?: Logger;
  readonly serverOptions?: grpc.ServerOptions;
}

/** A started gRPC server with the health service; `stop` drains in-flight calls, then forces. */
export interface RunningGrpcServer {
  readonly address: ServiceAddress;
  /** The bound port (TCP) or 0 (unix). */
  readonly port: number;
  readonly health: HealthImplementation;
  readonly server: grpc.Server;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Binds `listen` (host:port or unix:///path), registers the services and grpc.health.v1 with every
 * service SERVING. A stale unix socket file from a killed process is removed before binding.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const address = parseServiceAddress(options.listen);
  const server = new grpc.Server(options.serverOptions);
  const health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  for (const service of options.services) {
    server.addService(service.definition, service.implementation);
    health.setStatus(service.name, 'SERVING');
  }
  if (address.kind === 'unix' && address.path) rmSync(address.path, { force: true });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address.bind, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error)
        reject(
          new UnavailableError(`cannot listen on ${options.listen}: ${error.message}`, { cause: error }),
        );
      else resolve(boundPort);
    });
  });
  options.logger?.info({ listen: options.listen, port }, 'gRPC server listening');
  let stopped: Promise<void> | undefined;
  const stop = (graceMs = 5000): Promise<void> =>
    (stopped ??= new Promise<void>((resolve) => {
      for (const service of options.services) health.setStatus(service.name, 'NOT_SERVING');
      health.setStatus('', 'NOT_SERVING');
      const force = setTimeout(() => server.forceShutdown(), graceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        if (address.kind === 'unix' && address.path) rmSync(address.path, { force: true });
        resolve();
      });
    }));
  return { address, port, health, server, stop };
}
