/**
 * The gRPC adapters: `registry.NetworkServiceEndpointRegistry` and `registry.NetworkServiceRegistry`
 * over a Registry, ready for `startGrpcServer` (or any grpc-js server).
 */
import type * as grpc from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';

import { registryApi } from '../../../proto/index.js';
import type { NetworkServiceEndpointRegistryHandlers } from '../../../proto/gen/registry/NetworkServiceEndpointRegistry.js';
import type { NetworkServiceRegistryHandlers } from '../../../proto/gen/registry/NetworkServiceRegistry.js';
import { type ServiceRegistration, toServerStatus } from '../../../sdk/grpc/index.js';
import { serveFind } from './grpc-find.js';
import { responseHeaders } from './grpc-headers.js';
import type { Registry } from './registry.js';

export const ENDPOINT_REGISTRY_SERVICE = 'registry.NetworkServiceEndpointRegistry';
export const SERVICE_REGISTRY_SERVICE = 'registry.NetworkServiceRegistry';

/** Both registry services, to pass to `startGrpcServer({ services })`. */
export function registryServices(registry: Registry, logger?: Logger): ServiceRegistration[] {
  const log = (logger ?? pino({ level: 'silent' })).child({ component: 'nsm-registry-grpc' });
  return [endpointRegistryService(registry, log), serviceRegistryService(registry, log)];
}

/** Runs `handle` and answers the unary call with its result or its error, echoing the NSM path header. */
function answer<Q, R>(
  call: grpc.ServerUnaryCall<Q, R>,
  callback: grpc.sendUnaryData<R>,
  handle: () => R,
): void {
  try {
    const result = handle();
    call.sendMetadata(responseHeaders(call));
    callback(null, result);
  } catch (error) {
    callback(toServerStatus(error));
  }
}

export function endpointRegistryService(registry: Registry, logger: Logger): ServiceRegistration {
  const implementation: NetworkServiceEndpointRegistryHandlers = {
    Register: (call, callback) => answer(call, callback, () => registry.registerEndpoint(call.request)),
    Unregister: (call, callback) =>
      answer(call, callback, () => {
        registry.unregisterEndpoint(call.request.name);
        return {};
      }),
    Find: (call) => {
      const query = call.request.network_service_endpoint ?? {};
      serveFind(call, {
        watch: call.request.watch,
        instanceId: registry.instanceId,
        find: () => registry.findEndpoints(query),
        subscribe: (watcher) => registry.watchEndpoints(query, watcher),
        toResponse: (event) => ({ network_service_endpoint: event.item, deleted: event.deleted }),
        logger: logger.child({ find: 'endpoints' }),
      });
    },
  };
  return {
    name: ENDPOINT_REGISTRY_SERVICE,
    definition: registryApi().registry.NetworkServiceEndpointRegistry.service,
    implementation,
  };
}

export function serviceRegistryService(registry: Registry, logger: Logger): ServiceRegistration {
  const implementation: NetworkServiceRegistryHandlers = {
    Register: (call, callback) => answer(call, callback, () => registry.registerService(call.request)),
    Unregister: (call, callback) =>
      answer(call, callback, () => {
        registry.unregisterService(call.request.name);
        return {};
      }),
    Find: (call) => {
      const query = call.request.network_service ?? {};
      serveFind(call, {
        watch: call.request.watch,
        instanceId: registry.instanceId,
        find: () => registry.findServices(query),
        subscribe: (watcher) => registry.watchServices(query, watcher),
        toResponse: (event) => ({ network_service: event.item, deleted: event.deleted }),
        logger: logger.child({ find: 'services' }),
      });
    },
  };
  return {
    name: SERVICE_REGISTRY_SERVICE,
    definition: registryApi().registry.NetworkServiceRegistry.service,
    implementation,
  };
}
