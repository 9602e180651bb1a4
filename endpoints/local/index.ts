/**
 * endpoints/local — `meridio local`: Meridio on one host, every pod a network namespace, run and
 * supervised by a background daemon. See README.md. The public surface is the command (`run`), the
 * status it reports, and the fixed layout of an instance, for tools and tests that drive it.
 */
export { run } from './main.js';
export type {
  LbStatus,
  LocalStatus,
  Phase,
  ProcessInfo,
  ProxyStatus,
  ServiceStatus,
  TargetStatus,
} from './status.js';
export { StatePaths, defaultStateDir } from './state-paths.js';
export { connectionsHeldAtStop } from './held-connections.js';
export {
  EXTERNAL_NETWORK,
  LIMITS,
  checkSpec,
  ctrafficName,
  externalNamespace,
  gatewayNamespace,
  initialLbs,
  initialProxies,
  lbPlan,
  planScale,
  targetPlan,
  type LbPlan,
  type ProxyPlan,
  type TargetPlan,
  type TopologySpec,
} from './plan.js';
export { INSTANCE_ENV, ResourceRecord, readRecordedNamespaces } from './resources.js';
export { LocalNetwork } from './network.js';
export { instanceProcesses } from './cleanup.js';
export { SYSCTLS } from './sysctls.js';
export { SupervisedProcess, type ProcessSpec, type RestartPolicy } from './supervised-process.js';
export { controlRequest, serveControl, type ControlHandlers } from './control.js';
export { NeighbourRefresher } from './neighbour-refresh.js';
export { checkVip, checkVips } from './vips.js';
export { reconcileGatewayRoutes } from './gateway-routes.js';
export { formatTraffic, summarise, type VipTraffic } from './cli/traffic.js';
export { progressLine } from './cli/progress.js';
export { formatStatus } from './cli/status-text.js';
export { LocalAlreadyUpError, LocalNotUpError, LocalUsageError } from './errors.js';
