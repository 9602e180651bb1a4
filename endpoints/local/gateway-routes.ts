/**
 * The gateway's routes to the VIPs: one per VIP, multipath over the LBs that can take traffic (the
 * gateway hashes flows by L4, so each flow sticks to one LB), the LBs in the order of their names — the
 * order a proxy's return route should have for replies to take the same LB (see sysctls.ts). Kept in
 * line with the configuration and the LBs, as a router fed by BGP would be; only the static routes of
 * the main table are the gateway's VIP routes, so anything else there (connected networks) is left alone.
 */
import type { Vip } from '../../sdk/config/index.js';
import { MAIN_TABLE, type NetnsHandle, type RouteInfo } from '../../sdk/kernel/index.js';
import type { LbPlan } from './plan.js';

const RTPROT_STATIC = 4;

export interface GatewayRouteChange {
  readonly vip: string;
  /** The nexthops now in place; empty when the route was removed. */
  readonly via: readonly string[];
}

function nexthopsOf(route: RouteInfo): string[] {
  const gateways =
    route.nexthops.length > 0 ? route.nexthops.map((nexthop) => nexthop.gateway) : [route.gateway];
  return gateways.filter((gateway): gateway is string => gateway !== undefined);
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Brings the gateway's VIP routes in line with `vips` × `lbs`; returns what changed. */
export async function reconcileGatewayRoutes(
  gateway: NetnsHandle,
  vips: readonly Vip[],
  lbs: readonly LbPlan[],
): Promise<GatewayRouteChange[]> {
  const existing = (await gateway.routes.list({ table: MAIN_TABLE })).filter(
    (route) => route.protocol === RTPROT_STATIC && route.destination !== 'default',
  );
  const byDestination = new Map(existing.map((route) => [route.destination, route]));
  const changes: GatewayRouteChange[] = [];
  const wanted = new Set<string>();
  for (const vip of vips) {
    const via = [...lbs]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((lb) => (vip.family === 'ipv4' ? lb.addresses.ipv4 : lb.addresses.ipv6));
    if (via.length === 0) continue;
    wanted.add(vip.cidr);
    const route = byDestination.get(vip.cidr);
    if (route !== undefined && same(nexthopsOf(route), via)) continue;
    await gateway.routes.replace(
      via.length === 1
        ? { destination: vip.cidr, gateway: via[0] }
        : { destination: vip.cidr, nexthops: via.map((gatewayAddress) => ({ gateway: gatewayAddress })) },
    );
    changes.push({ vip: vip.cidr, via });
  }
  for (const route of existing) {
    if (wanted.has(route.destination)) continue;
    await gateway.routes.delete({ destination: route.destination, table: MAIN_TABLE });
    changes.push({ vip: route.destination, via: [] });
  }
  return changes;
}
