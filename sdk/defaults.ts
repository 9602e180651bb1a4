/**
 * Values that must agree across every process of a trench. One definition each; settings may
 * override them, but every process starts from these.
 */
export const DEFAULTS = Object.freeze({
  /** Maglev slots: target identifiers are 1..maxTargets. */
  maxTargets: 100,
  /** Maglev table size: the largest prime ≤ 100·maxTargets, as Meridio. */
  maglevTableSize: 9973,
  /** Seed of the Maglev permutation hashes; every LB of a trench must use the same. */
  maglevSeed: 0x4d455249,
  /** fwmark = offset + identifier; also the routing table number of that target. */
  fwmarkOffset: 5000,
  subnetPools: Object.freeze(['172.16.0.0/16', 'fd00::/48']),
  subnetPrefixLengths: Object.freeze([24, 64]),
  nspKeepaliveMs: 60_000,
  registryExpiryMs: 60_000,
  loadBalancerServiceName: 'load-balancer',
  proxyServiceName: 'proxy',
  configMapName: 'meridio-configuration',
  configMapKey: 'meridio.conf',
  nspPort: 7778,
  ipamPort: 7777,
  ctrafficPort: 5000,
  /** The policy-routing table of the VIP source routes in proxies and targets. */
  vipTable: 4096,
});
