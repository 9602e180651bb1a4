export { newEndpoint } from './endpoint.js';
export type { Endpoint, EndpointOptions } from './endpoint.js';
