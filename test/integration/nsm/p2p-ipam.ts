/**
 * A small point-to-point IPAM for the tests' endpoints: each connection gets host addresses from a
 * /24 (and a /120): .1+2i for the endpoint (dst), .2+2i for the client (src), with a route to the
 * other side on each, as NSM's point2pointipam. Refreshes keep the pair; close frees it.
 */
import { ipContextOf, type NetworkServiceServer } from '../../../sdk/core/index.js';

export interface P2pIpamOptions {
  /** The first three octets, e.g. `172.30.1`. */
  readonly ipv4?: string;
  /** An IPv6 prefix to put the pair's last byte after, e.g. `fd00:30:1::`. */
  readonly ipv6?: string;
  /** Give the endpoint side no address (an end without address is valid). */
  readonly clientOnly?: boolean;
}

export interface P2pIpam extends NetworkServiceServer {
  /** The pair of the connection with this endpoint-side id, if held. */
  held(): number;
}

export function p2pIpam(options: P2pIpamOptions): P2pIpam {
  const leases = new Map<string, number>();
  const free: number[] = [];
  let nextSlot = 0;
  const addresses = (slot: number): { dst: string[]; src: string[] } => {
    const dst: string[] = [];
    const src: string[] = [];
    if (options.ipv4 !== undefined) {
      dst.push(`${options.ipv4}.${1 + 2 * slot}/32`);
      src.push(`${options.ipv4}.${2 + 2 * slot}/32`);
    }
    if (options.ipv6 !== undefined) {
      dst.push(`${options.ipv6}${(1 + 2 * slot).toString(16)}/128`);
      src.push(`${options.ipv6}${(2 + 2 * slot).toString(16)}/128`);
    }
    return { dst, src };
  };
  return {
    kind: 'server',
    name: 'p2pIpam',
    held: () => leases.size,
    request: async (ctx, request, next) => {
      const connection = request.connection!;
      const known = leases.get(connection.id);
      const slot = known ?? free.shift() ?? nextSlot++;
      leases.set(connection.id, slot);
      const { dst, src } = addresses(slot);
      const ip = ipContextOf(connection);
      ip.src_ip_addrs = src;
      ip.src_routes = dst.map((prefix) => ({ prefix, nextHop: '' }));
      if (options.clientOnly) {
        ip.dst_ip_addrs = [];
        ip.dst_routes = [];
      } else {
        ip.dst_ip_addrs = dst;
        ip.dst_routes = src.map((prefix) => ({ prefix, nextHop: '' }));
      }
      try {
        return await next.request(ctx, request);
      } catch (error) {
        if (known === undefined) {
          leases.delete(connection.id);
          free.push(slot);
        }
        throw error;
      }
    },
    close: async (ctx, connection, next) => {
      const slot = leases.get(connection.id);
      if (slot !== undefined) {
        leases.delete(connection.id);
        free.push(slot);
      }
      await next.close(ctx, connection);
    },
  };
}
