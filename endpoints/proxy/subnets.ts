import type { IpamClient } from '../../sdk/services/ipam/index.js';
import type { SubnetRequest } from './config.js';

/**
 * The proxy's subnets, one per pool, owned by the node: IPAM gives an owner the same subnet again, so a
 * restarted proxy gets back the subnet its targets' addresses are in. Waits while IPAM is unreachable.
 */
export async function allocateSubnets(
  ipam: IpamClient,
  requests: readonly SubnetRequest[],
  owner: string,
  signal: AbortSignal,
): Promise<string[]> {
  const subnets: string[] = [];
  for (const request of requests) {
    subnets.push(
      await ipam.allocate({ pool: request.pool, prefixLength: request.prefixLength, owner }, { signal }),
    );
  }
  return subnets;
}
