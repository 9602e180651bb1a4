import { defineClient, type NetworkServiceClient } from '../../core/index.js';
import { validateInterfaceName } from './interface-name.js';
import {
  INTERFACE_NAME_PARAMETER,
  interfaceNameOf,
  isKernelMechanism,
  kernelMechanism,
  NETNS_URL_PARAMETER,
} from './mechanism.js';
import { netnsInodeUrl } from './netns-of.js';

export interface KernelMechanismClientOptions {
  /** The named network namespace (/run/netns/<name>) the interface goes into; default: the calling thread's. */
  readonly netns?: string;
  /**
   * The interface name (at most 15 characters). Default: the name the connection already has, or none,
   * leaving it to `interfaceNameClient` after this element.
   */
  readonly interfaceName?: string;
}

/**
 * Asks for a KERNEL interface: puts a LOCAL/KERNEL preference first in `mechanism_preferences`, carrying
 * the client's network namespace as `inodeURL=inode://<dev>/<ino>` and the interface name, and updates a
 * KERNEL mechanism the connection already holds the same way (so a refresh names the current namespace).
 * The forwarder resolves the URL by scanning the host's namespaces. Nothing to undo on close.
 */
export function kernelMechanismClient(options: KernelMechanismClientOptions = {}): NetworkServiceClient {
  if (options.interfaceName !== undefined) validateInterfaceName(options.interfaceName, 'client');
  return defineClient('kernelMechanism', {
    request: async (ctx, request, next) => {
      const connection = request.connection;
      const netnsUrl = netnsInodeUrl(options.netns);
      const current = isKernelMechanism(connection?.mechanism) ? connection!.mechanism : undefined;
      const offered = request.mechanism_preferences.find((m) => isKernelMechanism(m));
      const name = options.interfaceName ?? (interfaceNameOf(current) || interfaceNameOf(offered));
      const preference = kernelMechanism({
        ...offered?.parameters,
        [NETNS_URL_PARAMETER]: netnsUrl,
        [INTERFACE_NAME_PARAMETER]: name,
      });
      request.mechanism_preferences = [
        preference,
        ...request.mechanism_preferences.filter((m) => !isKernelMechanism(m)),
      ];
      if (current) {
        current.parameters[NETNS_URL_PARAMETER] = netnsUrl;
        if (name !== '') current.parameters[INTERFACE_NAME_PARAMETER] = name;
      }
      return next.request(ctx, request);
    },
  });
}
