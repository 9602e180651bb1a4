/**
 * Source routes for the VIPs: `from VIP` → a table whose default route goes, on the proxy, over every
 * connected LB (multipath) and, on a target, back through its proxy's bridge; and the loop that applies
 * VIP configuration changes.
 */
export {
  DEFAULT_VIP_RULE_PRIORITY,
  DEFAULT_VIP_TABLE,
  type Nexthop,
  type RoutingNamespace,
  VipRouting,
  type VipRoutingOptions,
} from './vip-routing.js';
export {
  proxyVipRouteClient,
  type ProxyVipRouteOptions,
  targetVipRouteClient,
  type TargetVipRouteOptions,
} from './client.js';
export { followVips, type FollowVipsOptions } from './follow-vips.js';
export { vipConfigSource, type VipConfigSourceOptions } from './vip-config.js';
