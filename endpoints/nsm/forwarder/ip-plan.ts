/**
 * What the forwarder configures on each end of a connection's veth pair, computed from the connection
 * context alone (no kernel), NSM's sdk-kernel rules: src is the client side, dst the endpoint side.
 * - addresses: the side's own `*_ip_addrs` (an end with none is valid: a bridge port, for example);
 * - a link route to each peer address that no own prefix covers, so gateways are reachable;
 * - the side's routes (`src_routes` / `dst_routes`): via `nextHop`, or via the peer's first address
 *   of the family when it is empty; a host route to the gateway itself (the route to the peer) or a
 *   route with no gateway at all goes straight onto the link;
 * - client side only: `policies`, each a source rule into its own table holding its routes.
 */
import {
  InvalidArgumentError,
  type IPContext,
  type PolicyRoute,
  type Route,
} from '../../../sdk/core/index.js';
import {
  formatPrefix,
  type IpAddress,
  type IpPrefix,
  networkOf,
  parseIp,
  parsePrefix,
} from '../../../sdk/kernel/index.js';

export interface PlannedRoute {
  /** Canonical network prefix. */
  readonly destination: string;
  /** Via this address (onlink), or straight onto the link when undefined. */
  readonly gateway?: string;
}

export interface PlannedPolicy {
  /** Source prefix of the rule ('' matches every source). */
  readonly from: string;
  /** Families the rule is needed for (from `from`, else from its routes). */
  readonly families: readonly (4 | 6)[];
  readonly routes: readonly PlannedRoute[];
}

export interface EndPlan {
  readonly addresses: readonly string[];
  readonly routes: readonly PlannedRoute[];
  readonly policies: readonly PlannedPolicy[];
}

export const EMPTY_PLAN: EndPlan = { addresses: [], routes: [], policies: [] };

function prefixOf(text: string, what: string): IpPrefix {
  try {
    return parsePrefix(text, what);
  } catch (error) {
    throw new InvalidArgumentError(
      `the connection context's ${what} "${text}" is not an IP address or prefix`,
      {
        cause: error,
      },
    );
  }
}

function addressOf(text: string, what: string): IpAddress {
  try {
    return parseIp(text, what);
  } catch (error) {
    throw new InvalidArgumentError(`the connection context's ${what} "${text}" is not an IP address`, {
      cause: error,
    });
  }
}

export function contains(prefix: IpPrefix, address: IpAddress): boolean {
  if (prefix.address.family !== address.family) return false;
  const a = prefix.address.bytes;
  const b = address.bytes;
  for (let bit = 0; bit < prefix.length; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return false;
  }
  return true;
}

function planRoute(route: Route, peers: readonly IpAddress[], what: string): PlannedRoute {
  const prefix = networkOf(prefixOf(route.prefix, `${what} prefix`));
  const family = prefix.address.family;
  const gateway =
    route.nextHop !== ''
      ? addressOf(route.nextHop, `${what} nextHop`)
      : peers.find((peer) => peer.family === family);
  if (gateway !== undefined && gateway.family !== family) {
    throw new InvalidArgumentError(
      `the connection context's ${what} ${route.prefix} is IPv${family} but its nextHop ${route.nextHop} is IPv${gateway.family}`,
    );
  }
  const destination = formatPrefix(prefix);
  const toGatewayItself =
    prefix.length === (family === 4 ? 32 : 128) && contains(prefix, gateway ?? prefix.address);
  if (gateway === undefined || toGatewayItself) return { destination };
  return { destination, gateway: gateway.text };
}

function uniqueByDestination(routes: PlannedRoute[]): PlannedRoute[] {
  const seen = new Map<string, PlannedRoute>();
  for (const route of routes) if (!seen.has(route.destination)) seen.set(route.destination, route);
  return [...seen.values()];
}

function planPolicy(policy: PolicyRoute, peers: readonly IpAddress[]): PlannedPolicy {
  if (policy.proto !== '' || policy.src_port !== '' || policy.dst_port !== '') {
    throw new InvalidArgumentError(
      `the policy route from "${policy.from}" selects by protocol or port (proto "${policy.proto}", ports "${policy.src_port}"/"${policy.dst_port}"); the kernel forwarder supports source-prefix policies only`,
    );
  }
  const routes = uniqueByDestination(policy.routes.map((r) => planRoute(r, peers, 'policy route')));
  const from = policy.from === '' ? '' : formatPrefix(networkOf(prefixOf(policy.from, 'policy source')));
  const families =
    from !== ''
      ? [prefixOf(from, 'policy source').address.family]
      : [...new Set(routes.map((r) => prefixOf(r.destination, 'policy route prefix').address.family))];
  return { from, families, routes };
}

function planEnd(
  own: readonly string[],
  peerTexts: readonly string[],
  routes: readonly Route[],
  policies: readonly PolicyRoute[],
  side: 'client' | 'endpoint',
): EndPlan {
  const ownPrefixes = own.map((text) => prefixOf(text, `${side} address`));
  const peers = peerTexts.map(
    (text) => prefixOf(text, `${side === 'client' ? 'endpoint' : 'client'} address`).address,
  );
  const linkRoutes: PlannedRoute[] = peers
    .filter((peer) => !ownPrefixes.some((prefix) => contains(prefix, peer)))
    .map((peer) => ({ destination: `${peer.text}/${peer.family === 4 ? 32 : 128}` }));
  const routeKind = side === 'client' ? 'src_route' : 'dst_route';
  return {
    addresses: ownPrefixes.map((prefix) => formatPrefix(prefix)),
    routes: uniqueByDestination([...linkRoutes, ...routes.map((r) => planRoute(r, peers, routeKind))]),
    policies: policies.map((policy) => planPolicy(policy, peers)),
  };
}

/** The client's end: src addresses, src routes, policies. */
export function clientPlan(ip: IPContext | null | undefined): EndPlan {
  if (!ip) return EMPTY_PLAN;
  return planEnd(ip.src_ip_addrs, ip.dst_ip_addrs, ip.src_routes, ip.policies, 'client');
}

/** The endpoint's end: dst addresses, dst routes. */
export function endpointPlan(ip: IPContext | null | undefined): EndPlan {
  if (!ip) return EMPTY_PLAN;
  return planEnd(ip.dst_ip_addrs, ip.src_ip_addrs, ip.dst_routes, [], 'endpoint');
}
