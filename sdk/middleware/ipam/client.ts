import { clientMetadata, type NetworkServiceClient } from '../../core/index.js';
import { leaseAddresses, releaseAddresses } from './lease.js';
import type { IpamOptions } from './server.js';

/**
 * For each connection the proxy makes (toward an LB): gives the endpoint's end one address per family
 * from the proxy's subnets with the subnet's prefix length (`dst_ip_addrs`), keeps the proxy's end (a
 * bridge port) without one, and puts the bridge's addresses in `extra_prefixes`. A refresh keeps the
 * addresses the connection has. Close frees them.
 */
export function ipamClient(options: IpamOptions): NetworkServiceClient {
  const { pool } = options;
  return {
    kind: 'client',
    name: 'ipam',
    request: (ctx, request, next) =>
      leaseAddresses(pool, 'endpoint', clientMetadata(ctx), ctx, request, next),
    close: (ctx, connection, next) =>
      releaseAddresses(pool, 'endpoint', clientMetadata(ctx), ctx, connection, next),
  };
}
