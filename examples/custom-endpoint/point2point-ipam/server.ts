import {
  type Connection,
  type Context,
  InvalidArgumentError,
  type IPContext,
  ipContextOf,
  type NetworkServiceRequest,
  type NetworkServiceServer,
  type Next,
} from '../../../sdk/core/index.js';
import { AddressPool } from './address-pool.js';
import {
  familyBits,
  formatIpAddress,
  type IpAddress,
  type IpFamily,
  type IpPrefix,
  parsePrefix,
  prefixHoldsAddress,
  tryParseIpAddress,
} from '../../../sdk/services/common/index.js';

/** One point-to-point pair: the endpoint's (dst) and the client's (src) address, from one pool. */
interface Pair {
  readonly pool: AddressPool;
  readonly dst: IpAddress;
  readonly src: IpAddress;
}

/** A point-to-point IPAM element that can also tell how many addresses it holds. */
export interface Point2PointIpam extends NetworkServiceServer {
  allocatedAddresses(): number;
}

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function removeValue(list: string[], value: string): void {
  const index = list.indexOf(value);
  if (index >= 0) list.splice(index, 1);
}

/** A single address as the host prefix NSM writes into IP contexts: `10.0.0.1/32`, `fd00::1/128`. */
function hostPrefix(address: IpAddress): string {
  return `${formatIpAddress(address)}/${familyBits(address.family)}`;
}

function excludedPrefixes(ip: IPContext): IpPrefix[] {
  return ip.excluded_prefixes.map((text) => parsePrefix(text, 'the excluded prefix'));
}

/** Host addresses written in the IP context (`10.0.0.1/32`), parsed; anything else is ignored. */
function hostAddresses(list: readonly string[]): IpAddress[] {
  return list.flatMap((text) => {
    const [address, length] = text.split('/');
    const parsed = address === undefined ? undefined : tryParseIpAddress(address);
    return parsed && (length === undefined || Number(length) === familyBits(parsed.family)) ? [parsed] : [];
  });
}

function writePair(ip: IPContext, pair: Pair): void {
  const dst = hostPrefix(pair.dst);
  const src = hostPrefix(pair.src);
  addUnique(ip.dst_ip_addrs, dst);
  addUnique(ip.src_ip_addrs, src);
  if (!ip.src_routes.some((route) => route.prefix === dst)) ip.src_routes.push({ prefix: dst, nextHop: '' });
  if (!ip.dst_routes.some((route) => route.prefix === src)) ip.dst_routes.push({ prefix: src, nextHop: '' });
}

function erasePair(ip: IPContext, pair: Pair): void {
  const dst = hostPrefix(pair.dst);
  const src = hostPrefix(pair.src);
  removeValue(ip.dst_ip_addrs, dst);
  removeValue(ip.src_ip_addrs, src);
  ip.src_routes = ip.src_routes.filter((route) => route.prefix !== dst);
  ip.dst_routes = ip.dst_routes.filter((route) => route.prefix !== src);
}

/**
 * Gives each connection a point-to-point pair of host addresses per IP family of `prefixes`: the first
 * free address for the endpoint side (dst), the second for the client side (src), with a route to the
 * other side on each, as NSM's point2pointipam. A refresh keeps the pair; a refresh that an endpoint
 * without the lease sees (after a restart) takes back the addresses the connection carries when they are
 * free; addresses that fall into the request's excluded prefixes are replaced. Close frees the pair.
 */
export function point2pointIpam(...prefixTexts: string[]): Point2PointIpam {
  if (prefixTexts.length === 0) {
    throw new InvalidArgumentError('point2pointIpam needs at least one prefix to hand out addresses from');
  }
  const pools = prefixTexts.map((text) => new AddressPool(parsePrefix(text, 'the pool prefix')));
  const families = [...new Set(pools.map((pool) => pool.prefix.family))];
  const leases = new Map<string, Pair[]>();

  const release = (pairs: readonly Pair[]): void => {
    for (const pair of pairs) pair.pool.release([pair.dst, pair.src]);
  };

  const recover = (ip: IPContext, family: IpFamily): Pair | undefined => {
    const dsts = hostAddresses(ip.dst_ip_addrs).filter((a) => a.family === family);
    const srcs = hostAddresses(ip.src_ip_addrs).filter((a) => a.family === family);
    for (const pool of pools.filter((p) => p.prefix.family === family)) {
      const dst = dsts.find((a) => prefixHoldsAddress(pool.prefix, a));
      const src = srcs.find((a) => prefixHoldsAddress(pool.prefix, a));
      if (dst && src && pool.tryTake([dst, src])) return { pool, dst, src };
    }
    return undefined;
  };

  const allocate = (family: IpFamily, excluded: readonly IpPrefix[]): Pair => {
    let lastError: unknown;
    for (const pool of pools.filter((p) => p.prefix.family === family)) {
      try {
        const [dst, src] = pool.takePair(excluded);
        return { pool, dst, src };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };

  const lease = (ip: IPContext, excluded: readonly IpPrefix[]): Pair[] => {
    const pairs: Pair[] = [];
    try {
      for (const family of families) pairs.push(recover(ip, family) ?? allocate(family, excluded));
    } catch (error) {
      release(pairs);
      throw error;
    }
    return pairs;
  };

  return {
    kind: 'server',
    name: 'point2pointIpam',
    allocatedAddresses: () => pools.reduce((sum, pool) => sum + pool.allocated, 0),
    async request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
      const connection = request.connection;
      if (!connection) return next.request(ctx, request);
      const ip = ipContextOf(connection);
      const excluded = excludedPrefixes(ip);
      let pairs = leases.get(connection.id);
      if (
        pairs?.some((pair) =>
          excluded.some(
            (prefix) => prefixHoldsAddress(prefix, pair.dst) || prefixHoldsAddress(prefix, pair.src),
          ),
        )
      ) {
        for (const pair of pairs) erasePair(ip, pair);
        release(pairs);
        leases.delete(connection.id);
        pairs = undefined;
      }
      const fresh = pairs === undefined;
      pairs ??= lease(ip, excluded);
      leases.set(connection.id, pairs);
      for (const pair of pairs) writePair(ip, pair);
      try {
        return await next.request(ctx, request);
      } catch (error) {
        if (fresh) {
          release(pairs);
          leases.delete(connection.id);
        }
        throw error;
      }
    },
    async close(ctx: Context, connection: Connection, next: Next): Promise<void> {
      const pairs = leases.get(connection.id);
      if (pairs) {
        release(pairs);
        leases.delete(connection.id);
      }
      return next.close(ctx, connection);
    },
  };
}
