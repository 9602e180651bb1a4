import {
  type Connection,
  type Context,
  InvalidArgumentError,
  ipContextOf,
  type MetadataMap,
  type NetworkServiceRequest,
  type Next,
} from '../../core/index.js';
import type { AddressPool } from './address-pool.js';
import { forgetLease, loadLease, storeLease } from './metadata.js';

/** Which end of the connection is the far one: the client (the proxy serves) or the endpoint (it calls). */
export type FarEnd = 'client' | 'endpoint';

function sameAddresses(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((address, index) => address === b[index]);
}

function ownerOf(farEnd: FarEnd, connection: Connection): string {
  return `${farEnd}:${connection.id}`;
}

/** The IP context's address lists of the far end and of the proxy's own end. */
type AddressList = 'src_ip_addrs' | 'dst_ip_addrs';

function ends(farEnd: FarEnd): { far: AddressList; own: AddressList } {
  return farEnd === 'client'
    ? { far: 'src_ip_addrs', own: 'dst_ip_addrs' }
    : { far: 'dst_ip_addrs', own: 'src_ip_addrs' };
}

/**
 * The body of both IPAM halves: leases the far end's addresses (recovering those the request carries),
 * writes them into the IP context with the bridge's addresses as extra prefixes, leaves the proxy's own
 * end without an address of the subnets, and undoes a new lease when next fails (a failed refresh
 * keeps the lease it had).
 */
export async function leaseAddresses(
  pool: AddressPool,
  farEnd: FarEnd,
  metadata: MetadataMap,
  ctx: Context,
  request: NetworkServiceRequest,
  next: Next,
): Promise<Connection> {
  const connection = request.connection;
  if (!connection) {
    throw new InvalidArgumentError('the request has no connection: there is nothing to give addresses to');
  }
  const ip = ipContextOf(connection);
  const { far, own } = ends(farEnd);
  const owner = ownerOf(farEnd, connection);
  const held = loadLease(metadata);
  const addresses = pool.lease(owner, ip[far]);
  ip[far] = addresses;
  ip[own] = ip[own].filter((address) => !pool.covers(address));
  ip.extra_prefixes = [
    ...ip.extra_prefixes.filter((prefix) => !pool.covers(prefix)),
    ...pool.bridgeAddresses,
  ];
  storeLease(metadata, addresses);
  try {
    return await next.request(ctx, request);
  } catch (error) {
    if (held === undefined) {
      pool.release(owner);
      forgetLease(metadata);
    } else if (!sameAddresses(held, addresses)) {
      pool.lease(owner, held);
      storeLease(metadata, held);
    }
    throw error;
  }
}

/** Frees the far end's addresses, then closes downstream. */
export async function releaseAddresses(
  pool: AddressPool,
  farEnd: FarEnd,
  metadata: MetadataMap,
  ctx: Context,
  connection: Connection,
  next: Next,
): Promise<void> {
  pool.release(ownerOf(farEnd, connection));
  forgetLease(metadata);
  await next.close(ctx, connection);
}
