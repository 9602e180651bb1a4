import { type Endpoint, newEndpoint } from '../../sdk/chains/index.js';
import type { CustomEndpointConfig } from './config.js';
import { connectionQuota, type ConnectionQuota } from './connection-quota/index.js';
import { extraContext } from './extra-context/index.js';
import { point2pointIpam, type Point2PointIpam } from './point2point-ipam/index.js';

/** The example NSE: the standard endpoint chain plus its own elements, kept for the summary. */
export interface CustomEndpoint {
  readonly endpoint: Endpoint;
  readonly quota: ConnectionQuota;
  readonly ipam: Point2PointIpam;
}

/**
 * The chain, read top to bottom: the standard endpoint elements (updatepath, begin, updatetoken,
 * authorize, metadata, timeout, monitor), then admission (quota), addresses, and the fixed context.
 * The quota comes first so a refused connection never takes addresses.
 */
export function buildCustomEndpoint(config: CustomEndpointConfig, signal: AbortSignal): CustomEndpoint {
  const quota = connectionQuota(config.maxConnections);
  const ipam = point2pointIpam(...config.prefixes);
  const endpoint = newEndpoint({
    name: config.name,
    signal,
    additional: [quota, ipam, extraContext(config.extraContext)],
  });
  return { endpoint, quota, ipam };
}
