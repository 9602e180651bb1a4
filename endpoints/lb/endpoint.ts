import { type Endpoint, newEndpoint } from '../../sdk/chains/index.js';
import { interfaceNameServer } from '../../sdk/middleware/interface-name/index.js';
import { kernelMechanismServer } from '../../sdk/middleware/kernel-mechanism/index.js';

export interface LoadBalancerEndpointOptions {
  readonly name: string;
  /** The named namespace the interfaces go into; undefined: the LB's own. */
  readonly netns: string | undefined;
  readonly signal: AbortSignal;
}

/**
 * What the LB does for each proxy that connects (after the standard endpoint elements): it accepts a
 * KERNEL interface in its namespace and names it. It leaves the connection's IP context as the proxy
 * made it, so the forwarder gives the LB's end the address the proxy's IPAM chose (on the proxy's
 * subnet, which is how the LB reaches that proxy's targets).
 */
export function loadBalancerEndpoint(options: LoadBalancerEndpointOptions): Endpoint {
  return newEndpoint({
    name: options.name,
    signal: options.signal,
    additional: [
      kernelMechanismServer(options.netns === undefined ? {} : { netns: options.netns }),
      interfaceNameServer({ prefix: 'proxy' }),
    ],
  });
}
