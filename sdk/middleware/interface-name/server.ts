import { serverMetadata, type NetworkServiceServer } from '../../core/index.js';
import { isKernelMechanism } from '../kernel-mechanism/index.js';
import { InterfaceNames, checkPrefix } from './names.js';
import { nameInterfaces, releaseName } from './naming.js';

export interface InterfaceNameOptions {
  /** Start of every generated name (1-7 letters or digits); the name is `<prefix>-<random>`, 15 characters. */
  readonly prefix?: string;
  /** Share one set of names between elements (default: each element has its own). */
  readonly names?: InterfaceNames;
}

/**
 * Names the endpoint's interface: when the connection's KERNEL mechanism (set by kernelMechanismServer
 * before this element) has no `name`, sets one that no other connection of this element uses in the
 * same namespace, and keeps it for the connection's refreshes. Close frees the name.
 */
export function interfaceNameServer(options: InterfaceNameOptions = {}): NetworkServiceServer {
  const prefix = checkPrefix(options.prefix ?? 'nse');
  const names = options.names ?? new InterfaceNames();
  return {
    kind: 'server',
    name: 'interfaceName',
    request: (ctx, request, next) =>
      nameInterfaces(
        names,
        prefix,
        serverMetadata(ctx),
        (r) => (isKernelMechanism(r.connection?.mechanism) ? [r.connection!.mechanism] : []),
        ctx,
        request,
        next,
      ),
    close: (ctx, connection, next) => releaseName(names, serverMetadata(ctx), ctx, connection, next),
  };
}
