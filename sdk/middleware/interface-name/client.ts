import { clientMetadata, type NetworkServiceClient } from '../../core/index.js';
import { isKernelMechanism } from '../kernel-mechanism/index.js';
import { InterfaceNames, checkPrefix } from './names.js';
import { nameInterfaces, releaseName } from './naming.js';
import type { InterfaceNameOptions } from './server.js';

/**
 * Names the client's interface: fills `name` in the KERNEL preferences (and the KERNEL mechanism of a
 * refreshed connection) that have none, with a name unique in the client's namespace among this
 * element's connections, kept for the connection's refreshes. Put it after kernelMechanismClient.
 * Close frees the name.
 */
export function interfaceNameClient(options: InterfaceNameOptions = {}): NetworkServiceClient {
  const prefix = checkPrefix(options.prefix ?? 'nsm');
  const names = options.names ?? new InterfaceNames();
  return {
    kind: 'client',
    name: 'interfaceName',
    request: (ctx, request, next) =>
      nameInterfaces(
        names,
        prefix,
        clientMetadata(ctx),
        (r) => [
          ...r.mechanism_preferences.filter((m) => isKernelMechanism(m)),
          ...(isKernelMechanism(r.connection?.mechanism) ? [r.connection!.mechanism] : []),
        ],
        ctx,
        request,
        next,
      ),
    close: (ctx, connection, next) => releaseName(names, clientMetadata(ctx), ctx, connection, next),
  };
}
