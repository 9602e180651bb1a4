import { defineServer, type NetworkServiceServer } from '../../core/index.js';
import { kernelMechanism, NETNS_URL_PARAMETER } from './mechanism.js';
import { netnsInodeUrl } from './netns-of.js';
import { checkKernelMechanism, selectKernelMechanism } from './select.js';

export interface KernelMechanismServerOptions {
  /** The named network namespace (/run/netns/<name>) this endpoint's interfaces go into; default: the calling thread's. */
  readonly netns?: string;
}

/**
 * Accepts a KERNEL mechanism for the endpoint's side of the connection: selects the connection's
 * KERNEL mechanism or the first KERNEL preference (anything else is an INVALID_ARGUMENT error), checks
 * the interface name it may carry (≤ 15 characters), and sets `connection.mechanism` to LOCAL/KERNEL
 * with `inodeURL` naming the endpoint's namespace, where the forwarder puts the interface. The name is
 * kept when present, else left to `interfaceNameServer` after this element. Nothing to undo on close.
 */
export function kernelMechanismServer(options: KernelMechanismServerOptions = {}): NetworkServiceServer {
  return defineServer('kernelMechanism', {
    request: async (ctx, request, next) => {
      const selected = selectKernelMechanism(request);
      const mechanism = kernelMechanism({
        ...selected.parameters,
        [NETNS_URL_PARAMETER]: netnsInodeUrl(options.netns),
      });
      checkKernelMechanism(mechanism, 'endpoint');
      request.connection!.mechanism = mechanism;
      return next.request(ctx, request);
    },
  });
}
