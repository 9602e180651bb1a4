/**
 * The load balancer (`meridio lb`): an NSM endpoint for the proxies that balances the VIPs' flows over
 * the NSP's targets with Maglev, a native NFQUEUE thread and per-target fwmark routing.
 */
export { startLb, type LbOptions, type RunningLb } from './lb.js';
export { LB_SETTINGS, LB_SUMMARY } from './settings.js';
export { deriveLbSettings, type LbDerived, type LbSettings } from './config.js';
export { fwmarkRange, tableOf, RESERVED_TABLES, MAX_FWMARK, type FwmarkRange } from './fwmark.js';
export { FwmarkRangeError, TargetRefusedError } from './errors.js';
export { parseLbTarget, type LbTarget, type TargetGateway } from './target-spec.js';
export {
  TargetReconciler,
  type TargetActivation,
  type TargetReconcilerOptions,
  type TargetRouting,
  type TargetState,
  type TargetStatus,
  type RefusedTarget,
} from './reconciler.js';
export { kernelTargetRouting, FWMARK_RULE_PRIORITY } from './kernel-routing.js';
export { LbDataplane, type ChainState, type DataplaneOptions, type DataplanePorts } from './dataplane.js';
export { kernelDataplanePorts, type KernelDataplaneOptions } from './dataplane-ports.js';
export { VipBlackholes, VIP_BLACKHOLE_METRIC } from './vip-blackholes.js';
export { PendingRetry, type PendingRetryOptions } from './pending-retry.js';
export { loadBalancerEndpoint, type LoadBalancerEndpointOptions } from './endpoint.js';
export { LB_SYSCTLS } from './sysctls.js';
export { registerLbMetrics, type LbMetricsSource } from './metrics.js';
