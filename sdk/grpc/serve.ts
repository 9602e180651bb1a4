import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { networkServiceApi } from '../../proto/index.js';
import type { NetworkServiceServer } from '../core/index.js';
import { type ConnectionEventSource, monitorConnectionHandlers } from './monitor-server.js';
import { networkServiceHandlers, type ServedContextOptions } from './network-service-server.js';
import { type RunningGrpcServer, type ServiceRegistration, startGrpcServer } from './server.js';

export const NETWORK_SERVICE_NAME = 'networkservice.NetworkService';
export const MONITOR_CONNECTION_NAME = 'connection.MonitorConnection';

/** `networkservice.NetworkService` backed by a server chain, to add to a gRPC server. */
export function networkServiceRegistration(
  chain: NetworkServiceServer,
  options: ServedContextOptions = {},
): ServiceRegistration {
  return {
    name: NETWORK_SERVICE_NAME,
    definition: networkServiceApi().networkservice.NetworkService.service,
    implementation: networkServiceHandlers(chain, options),
  };
}

/** `connection.MonitorConnection` backed by an endpoint's monitor, to add to a gRPC server. */
export function monitorConnectionRegistration(
  source: ConnectionEventSource,
  options: ServedContextOptions = {},
): ServiceRegistration {
  return {
    name: MONITOR_CONNECTION_NAME,
    definition: networkServiceApi().connection.MonitorConnection.service,
    implementation: monitorConnectionHandlers(source, options),
  };
}

export interface ServeEndpointOptions extends ServedContextOptions {
  /** `host:port` (port 0 picks a free one) or `unix:///absolute/path`. */
  readonly listen: string;
  /** The server chain (an endpoint) that answers Request and Close. */
  readonly chain: NetworkServiceServer;
  /** The endpoint's connection monitor; without it MonitorConnection is not served. */
  readonly monitor?: ConnectionEventSource;
  /** Logs the server's own life (listening, stopping); calls log through `context`'s logger. */
  readonly logger?: Logger;
  readonly serverOptions?: grpc.ServerOptions;
}

/**
 * Serves a chain as an NSM endpoint: NetworkService, MonitorConnection (when a monitor is given) and
 * grpc.health.v1, on a unix socket or TCP. `stop()` on the result drains calls in flight.
 */
export function serveEndpoint(options: ServeEndpointOptions): Promise<RunningGrpcServer> {
  const served: ServedContextOptions = options.context ? { context: options.context } : {};
  const services = [networkServiceRegistration(options.chain, served)];
  if (options.monitor) services.push(monitorConnectionRegistration(options.monitor, served));
  return startGrpcServer({
    listen: options.listen,
    services,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.serverOptions ? { serverOptions: options.serverOptions } : {}),
  });
}
