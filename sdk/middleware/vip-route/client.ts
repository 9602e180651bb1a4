import { type Connection, ipContextOf, type NetworkServiceClient } from '../../core/index.js';
import { interfaceNameOf } from '../kernel-mechanism/index.js';
import { vipRouteElement } from './handlers.js';
import type { Nexthop, VipRouting } from './vip-routing.js';

/** The address part of `172.16.3.2/24`. */
function addressPart(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

export interface ProxyVipRouteOptions {
  readonly routing: VipRouting;
  /** The bridge the LBs are reached through (`bridge0`): the connections' own ends are its ports. */
  readonly device: string;
}

/**
 * The proxy's side (on its connections to the LBs): VIP-sourced traffic leaves over a multipath default
 * route through every connected LB's address (`dst_ip_addrs`), kept current as LBs come and go. Close
 * takes the LB out of the route.
 */
export function proxyVipRouteClient(options: ProxyVipRouteOptions): NetworkServiceClient {
  const nexthopsOf = (connection: Connection): Nexthop[] =>
    ipContextOf(connection).dst_ip_addrs.map((address) => ({
      gateway: addressPart(address),
      device: options.device,
    }));
  return vipRouteElement('vipRoute', options.routing, nexthopsOf);
}

export interface TargetVipRouteOptions {
  readonly routing: VipRouting;
}

/**
 * The target's side (on its connection to the proxy): VIP-sourced traffic goes back through the proxy,
 * via the bridge address the proxy sent in `extra_prefixes`, out of the connection's interface. Close
 * removes the route and the VIPs' rules.
 */
export function targetVipRouteClient(options: TargetVipRouteOptions): NetworkServiceClient {
  const nexthopsOf = (connection: Connection): Nexthop[] => {
    const device = interfaceNameOf(connection.mechanism);
    return ipContextOf(connection).extra_prefixes.map((prefix) => ({
      gateway: addressPart(prefix),
      ...(device === '' ? {} : { device }),
    }));
  };
  return vipRouteElement('vipRoute', options.routing, nexthopsOf);
}
