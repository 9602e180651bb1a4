import { type NetworkServiceServer, serverMetadata } from '../../core/index.js';
import type { AddressPool } from './address-pool.js';
import { leaseAddresses, releaseAddresses } from './lease.js';

export interface IpamOptions {
  /** The proxy's subnets; share one pool between the server and client halves. */
  readonly pool: AddressPool;
}

/**
 * For each connection the proxy serves: gives the client's end (the target) one address per family from
 * the proxy's subnets with the subnet's prefix length (`src_ip_addrs`), keeps the proxy's end (a bridge
 * port) without one, and puts the bridge's addresses in `extra_prefixes`. Addresses the request already
 * carries are kept when free (a refresh, a target that outlived a proxy restart). Close frees them.
 */
export function ipamServer(options: IpamOptions): NetworkServiceServer {
  const { pool } = options;
  return {
    kind: 'server',
    name: 'ipam',
    request: (ctx, request, next) => leaseAddresses(pool, 'client', serverMetadata(ctx), ctx, request, next),
    close: (ctx, connection, next) =>
      releaseAddresses(pool, 'client', serverMetadata(ctx), ctx, connection, next),
  };
}
