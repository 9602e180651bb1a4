export { parseServiceAddress, type ServiceAddress } from './address.js';
export {
  type GrpcServerOptions,
  type RunningGrpcServer,
  type ServiceRegistration,
  startGrpcServer,
} from './server.js';
export { contextForCall, type ServedCall } from './call-context.js';
export { validateClose, validateRequest } from './validate.js';
export { fromGrpcError, toServerStatus } from './status.js';
export {
  applyCallerToken,
  CLIENT_TOKEN_EXPIRES_HEADER,
  CLIENT_TOKEN_HEADER,
  formatRfc3339Nano,
  parseRfc3339,
  tokenMetadata,
} from './token-metadata.js';
export { networkServiceHandlers, type ServedContextOptions } from './network-service-server.js';
export { type ConnectionEventSource, monitorConnectionHandlers } from './monitor-server.js';
export {
  MONITOR_CONNECTION_NAME,
  monitorConnectionRegistration,
  NETWORK_SERVICE_NAME,
  networkServiceRegistration,
  serveEndpoint,
  type ServeEndpointOptions,
} from './serve.js';
export { MonitorConnectionRemote, NetworkServiceRemote, type RemoteCallOptions } from './remote.js';
export { GrpcChannelCache, type GrpcChannelOptions } from './channels.js';
export { grpcConnect, type GrpcConnectOptions } from './connect.js';
