/**
 * The local topology as pure data: names, namespaces and the addresses of the external side. Every pod
 * of a cluster is a network namespace `<prefix>-<name>`; the external host and the gateway sit on one
 * link, the gateway and the LBs on a bridge in the gateway (one veth per LB).
 *
 * external host (eth0 10.20.0.2, fd10:20::2) ── gateway (ext0 .1; bridge lbnet 10.10.0.1, fd10:10::1)
 *   ── lb-i (ext0 10.10.0.1i, fd10:10::1i) ── NSM ── proxy-n ── NSM ── target-k
 */
import { DEFAULTS } from '../../sdk/defaults.js';
import { LocalUsageError } from './errors.js';

export interface TopologySpec {
  /** Prefix of every namespace name. */
  readonly prefix: string;
  readonly lbs: number;
  /** One proxy per node, so also the number of nodes. */
  readonly proxies: number;
  readonly targets: number;
}

export interface DualAddress {
  readonly ipv4: string;
  readonly ipv6: string;
}

export interface LbPlan {
  readonly name: string;
  readonly namespace: string;
  /** The gateway's end of the LB's veth, a port of the gateway's bridge. */
  readonly gatewayLink: string;
  /** The LB's end, in its namespace. */
  readonly link: string;
  /** The LB's addresses on `link`: the gateway's nexthops for the VIPs. */
  readonly addresses: DualAddress;
}

export interface ProxyPlan {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
}

export interface TargetPlan {
  readonly index: number;
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
}

export const LIMITS = Object.freeze({ lbs: 50, proxies: 50, targets: DEFAULTS.maxTargets });

/** The addresses outside the cluster: fixed, so nothing in them depends on the host. */
export const EXTERNAL_NETWORK = Object.freeze({
  /** The external host's link to the gateway. */
  hostLink: 'eth0',
  hostAddresses: Object.freeze({ ipv4: '10.20.0.2', ipv6: 'fd10:20::2' }),
  gatewayLink: 'ext0',
  gatewayAddresses: Object.freeze({ ipv4: '10.20.0.1', ipv6: 'fd10:20::1' }),
  linkPrefix: Object.freeze({ ipv4: 24, ipv6: 64 }),
  /** The gateway's bridge joining the LBs' veths. */
  lbBridge: 'lbnet',
  lbBridgeAddresses: Object.freeze({ ipv4: '10.10.0.1', ipv6: 'fd10:10::1' }),
  /** The networks above, which VIPs must not overlap. */
  networks: Object.freeze(['10.20.0.0/24', 'fd10:20::/64', '10.10.0.0/24', 'fd10:10::/64']),
});

export function checkSpec(spec: TopologySpec): TopologySpec {
  if (!/^[a-z][a-z0-9-]{0,23}$/.test(spec.prefix)) {
    throw new LocalUsageError(
      `The namespace prefix "${spec.prefix}" must be 1 to 24 lower-case letters, digits or dashes, starting with a letter.`,
    );
  }
  const range = (what: keyof typeof LIMITS, value: number, min: number): void => {
    if (!Number.isSafeInteger(value) || value < min || value > LIMITS[what]) {
      throw new LocalUsageError(
        `--${what} must be a whole number from ${min} to ${LIMITS[what]}, not ${value}.`,
      );
    }
  };
  range('lbs', spec.lbs, 1);
  range('proxies', spec.proxies, 1);
  range('targets', spec.targets, 0);
  return spec;
}

export function externalNamespace(prefix: string): string {
  return `${prefix}-ext`;
}

export function gatewayNamespace(prefix: string): string {
  return `${prefix}-gw`;
}

export function lbPlan(prefix: string, index: number): LbPlan {
  const name = `lb-${index}`;
  return {
    name,
    namespace: `${prefix}-${name}`,
    gatewayLink: name,
    link: 'ext0',
    addresses: { ipv4: `10.10.0.${10 + index}`, ipv6: `fd10:10::${10 + index}` },
  };
}

export function proxyPlan(prefix: string, index: number): ProxyPlan {
  const name = `proxy-${index}`;
  return { name, namespace: `${prefix}-${name}`, node: `node-${index}` };
}

export function targetPlan(prefix: string, index: number, node: string): TargetPlan {
  const name = `target-${index}`;
  return { index, name, namespace: `${prefix}-${name}`, node };
}

/** The name of the ctraffic server process of a target (its host name is the target's name). */
export function ctrafficName(target: string): string {
  return `ctraffic-${target}`;
}

export function initialLbs(spec: TopologySpec): LbPlan[] {
  return Array.from({ length: spec.lbs }, (_, i) => lbPlan(spec.prefix, i + 1));
}

export function initialProxies(spec: TopologySpec): ProxyPlan[] {
  return Array.from({ length: spec.proxies }, (_, i) => proxyPlan(spec.prefix, i + 1));
}

export interface ScalePlan {
  readonly add: readonly TargetPlan[];
  readonly remove: readonly TargetPlan[];
}

/**
 * From `current` targets to `wanted`: the newest (highest index) go first, as a ReplicaSet scaled down
 * removes the youngest pods; new ones take the lowest free index and the node with the fewest targets.
 */
export function planScale(
  prefix: string,
  current: readonly TargetPlan[],
  wanted: number,
  nodes: readonly string[],
): ScalePlan {
  const sorted = [...current].sort((a, b) => a.index - b.index);
  if (wanted <= sorted.length) return { add: [], remove: sorted.slice(wanted).reverse() };
  const load = new Map(nodes.map((node) => [node, 0]));
  for (const target of sorted) load.set(target.node, (load.get(target.node) ?? 0) + 1);
  const used = new Set(sorted.map((target) => target.index));
  const add: TargetPlan[] = [];
  for (let index = 1; sorted.length + add.length < wanted; index++) {
    if (used.has(index)) continue;
    let node = nodes[0] ?? 'node-1';
    for (const candidate of nodes) if ((load.get(candidate) ?? 0) < (load.get(node) ?? 0)) node = candidate;
    load.set(node, (load.get(node) ?? 0) + 1);
    add.push(targetPlan(prefix, index, node));
  }
  return { add, remove: [] };
}
