/**
 * The proxy (`meridio proxy`): one per node, bridging every NSM connection of the node (targets and
 * load balancers) on bridge0 and routing VIP-sourced traffic over every load balancer.
 */
export { startProxy, type ProxyOptions, type RunningProxy } from './proxy.js';
export { PROXY_SETTINGS, PROXY_SUMMARY } from './settings.js';
export {
  endpointNameOf,
  listenAddressOf,
  subnetRequests,
  type ProxySettings,
  type SubnetRequest,
} from './config.js';
export { BRIDGE_NAME, bridgeMac } from './bridge.js';
export { PROXY_SYSCTLS } from './sysctls.js';
export { FullMesh, type FullMeshOptions } from './full-mesh.js';
export { closeLeftovers, recoverConnections, type RecoverOptions } from './recover.js';
