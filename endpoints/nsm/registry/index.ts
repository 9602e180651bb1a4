/**
 * The embedded NSM's registry: network services and endpoints in memory with endpoint expiry and
 * watches (createRegistry), served over gRPC as NSM's two registry services (registryServices).
 */
export {
  createRegistry,
  type EndpointRemovalReason,
  type Registry,
  type RegistryOptions,
  type RegistrySubscription,
  type RegistryWatcher,
} from './registry.js';
export {
  ENDPOINT_REGISTRY_SERVICE,
  SERVICE_REGISTRY_SERVICE,
  endpointRegistryService,
  registryServices,
  serviceRegistryService,
} from './grpc-services.js';
