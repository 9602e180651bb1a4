import type {
  Connection,
  Context,
  Mechanism,
  MetadataMap,
  Next,
  NetworkServiceRequest,
} from '../../core/index.js';
import { INTERFACE_NAME_PARAMETER, interfaceNameOf, netnsUrlOf } from '../kernel-mechanism/index.js';
import { loadLease, type NameLease, storeLease, takeLease } from './metadata.js';
import type { InterfaceNames } from './names.js';

/**
 * The shared body of both halves: names the KERNEL mechanisms `unnamed(request)` returns when they have
 * no name, with the connection's lease (kept across refreshes while its namespace stays the same) or a
 * new one; frees a new lease when next fails, and the old one once a new namespace's name took over.
 */
export async function nameInterfaces(
  names: InterfaceNames,
  prefix: string,
  metadata: MetadataMap,
  unnamed: (request: NetworkServiceRequest) => Mechanism[],
  ctx: Context,
  request: NetworkServiceRequest,
  next: Next,
): Promise<Connection> {
  const targets = unnamed(request).filter((m) => interfaceNameOf(m) === '');
  if (targets.length === 0) return next.request(ctx, request);
  const namespace = netnsUrlOf(targets[0]);
  const held = loadLease(metadata);
  const reuse = held !== undefined && held.namespace === namespace;
  const lease: NameLease = reuse ? held : { namespace, name: names.allocate(namespace, prefix) };
  for (const mechanism of targets) mechanism.parameters[INTERFACE_NAME_PARAMETER] = lease.name;
  storeLease(metadata, lease);
  let connection: Connection;
  try {
    connection = await next.request(ctx, request);
  } catch (error) {
    if (!reuse) {
      names.release(lease.namespace, lease.name);
      if (held === undefined) takeLease(metadata);
      else storeLease(metadata, held);
    }
    throw error;
  }
  if (!reuse && held !== undefined) names.release(held.namespace, held.name);
  return connection;
}

export async function releaseName(
  names: InterfaceNames,
  metadata: MetadataMap,
  ctx: Context,
  connection: Connection,
  next: Next,
): Promise<void> {
  const lease = takeLease(metadata);
  if (lease !== undefined) names.release(lease.namespace, lease.name);
  await next.close(ctx, connection);
}
