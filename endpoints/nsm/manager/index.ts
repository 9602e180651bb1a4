/** The embedded NSM's manager: endpoint selection, the path through the forwarder, failover reports. */
export { newManager, type ManagerOptions } from './manager.js';
export { selectEndpointServer, type SelectEndpointOptions } from './select-endpoint.js';
export { EndpointWatch, type EndpointWatchOptions } from './endpoint-watch.js';
export { closeAfterRestartServer, type CloseAfterRestartOptions } from './close-after-restart.js';
