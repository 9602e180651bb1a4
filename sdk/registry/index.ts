export * from './types.js';
export { matchEndpoint, matchService, isLabelSubset, selectEndpointsByLabels } from './match.js';
export { resolveLabelTemplate } from './label-template.js';
export { REGISTRY_INSTANCE_HEADER, REGISTRY_PATH_HEADER, REGISTRY_SNAPSHOT_SIZE_HEADER } from './headers.js';
export {
  createRegistryClient,
  type CallOptions,
  type EndpointRegistration,
  type RegisterEndpointOptions,
  type RegisterServiceOptions,
  type RegistryClient,
  type RegistryClientOptions,
  type ServiceRegistration,
} from './client.js';
export type { BackoffOptions } from './backoff.js';
