/**
 * The kernel forwarder element: between the manager and the endpoint, it checks the client's KERNEL
 * mechanism (and finds the client's namespace) before the endpoint hears of the connection, asks the
 * endpoint for a KERNEL mechanism of its own, and on the way back makes the veth pair between the two
 * namespaces with the mechanisms' interface names and MACs derived from the connection's id (the same
 * for a link made again), and configures both ends from the connection context.
 * The client gets its own mechanism back. Close removes the pair and its policy rules, then closes the
 * endpoint side.
 */
import type { Logger } from 'pino';

import {
  type Connection,
  type Context,
  contextOf,
  closeAfterFailure,
  joinErrors,
  messageOf,
  type NetworkServiceRequest,
  type NetworkServiceServer,
  type Next,
  NotFoundError,
  serverMetadata,
} from '../../../sdk/core/index.js';
import {
  checkKernelMechanism,
  isKernelMechanism,
  kernelMechanism,
  selectKernelMechanism,
  UnsupportedMechanismError,
} from '../../../sdk/middleware/kernel-mechanism/index.js';
import type { Registry } from '../registry/index.js';
import { type AppliedEnd, applyPlan, removePolicies } from './apply-plan.js';
import { connectionMac, lastingConnectionId } from './link-mac.js';
import { clientPlan, endpointPlan } from './ip-plan.js';
import {
  endpointUrlKey,
  type ForwardedConnection,
  loadForwarded,
  storeForwarded,
  takeForwarded,
} from './metadata.js';
import type { NamespaceHandles, NamespaceLease } from './namespace-handles.js';
import { PolicyTables } from './policy-tables.js';
import { ensureVethPair, removeVethPair, type VethPair } from './veth-pair.js';

export interface KernelForwarderOptions {
  readonly registry: Registry;
  readonly namespaces: NamespaceHandles;
  readonly logger: Logger;
}

function endpointUrl(
  registry: Registry,
  connection: Connection,
  held: ForwardedConnection | undefined,
): string {
  const name = connection.network_service_endpoint_name;
  const url = registry.endpoint(name)?.url ?? (held?.endpointName === name ? held.endpointUrl : undefined);
  if (url === undefined) {
    throw new NotFoundError(
      name === ''
        ? 'the forwarder got a connection without network_service_endpoint_name: the manager must choose the endpoint'
        : `network service endpoint "${name}" is not registered`,
    );
  }
  return url;
}

/** The data path made on the way back: pair plus configuration of both ends. */
async function buildDataPath(
  connection: Connection,
  clientName: string,
  clientNetns: NamespaceLease,
  endpointName: string,
  endpointNetns: NamespaceLease,
  held: ForwardedConnection | undefined,
  tables: PolicyTables,
): Promise<{ pair: VethPair; client: AppliedEnd; endpoint: AppliedEnd }> {
  const ip = connection.context?.ip_context;
  const clientSide = clientPlan(ip);
  const endpointSide = endpointPlan(ip);
  const mtu = contextOf(connection).MTU > 0 ? contextOf(connection).MTU : undefined;
  const sameLinks =
    held !== undefined &&
    held.pair.client.name === clientName &&
    held.pair.endpoint.name === endpointName &&
    held.clientNetns.handle === clientNetns.handle &&
    held.endpointNetns.handle === endpointNetns.handle;
  if (held !== undefined && !sameLinks) await removeForwarded(held);
  // The same MACs whenever this connection's link is made again, so its peers' neighbour caches hold.
  const connectionId = lastingConnectionId(connection);
  const pair = await ensureVethPair(
    { netns: clientNetns.handle, name: clientName, mac: connectionMac(connectionId, 'client') },
    { netns: endpointNetns.handle, name: endpointName, mac: connectionMac(connectionId, 'endpoint') },
    mtu,
  );
  try {
    const client = await applyPlan(
      clientNetns.handle,
      pair.clientIndex,
      clientSide,
      sameLinks ? held.client : undefined,
      tables,
    );
    const endpoint = await applyPlan(
      endpointNetns.handle,
      pair.endpointIndex,
      endpointSide,
      sameLinks ? held.endpoint : undefined,
      tables,
    );
    return { pair, client, endpoint };
  } catch (error) {
    if (pair.created) await removeVethPair(pair).catch(() => false);
    throw error;
  }
}

/** Removes what the forwarder made for a connection; the namespace leases are released by the caller. */
async function removeForwarded(forwarded: ForwardedConnection): Promise<void> {
  try {
    if (!forwarded.clientNetns.handle.closed)
      await removePolicies(forwarded.clientNetns.handle, forwarded.client);
  } finally {
    await removeVethPair(forwarded.pair);
  }
}

export function kernelForwarder(options: KernelForwarderOptions): NetworkServiceServer {
  const { registry, namespaces, logger } = options;
  const tables = new PolicyTables();

  async function request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
    const connection = request.connection!;
    const metadata = serverMetadata(ctx);
    const held = loadForwarded(metadata);
    // The client holds this connection already (it sends the mechanism it got), though this forwarder
    // does not: it restarted. A failure then must not tear down what the client still uses.
    const clientHoldsIt = held === undefined && isKernelMechanism(connection.mechanism);
    // The client's side is checked, and its namespace found, before the endpoint allocates anything.
    const clientMechanism = selectKernelMechanism(request);
    const client = checkKernelMechanism(clientMechanism, 'client', { requireName: true });
    const url = endpointUrl(registry, connection, held);
    const clientNetns = await namespaces.acquire(client.netns);
    const sameEndpoint = held?.endpointName === connection.network_service_endpoint_name;
    connection.mechanism = sameEndpoint ? structuredClone(held!.endpointMechanism) : null;
    request.mechanism_preferences = [kernelMechanism()];
    let returned: Connection;
    try {
      returned = await next.request(ctx.withValue(endpointUrlKey, url), request);
    } catch (error) {
      clientNetns.release();
      throw error;
    }
    let endpointNetns: NamespaceLease | undefined;
    try {
      const endpointMechanism = returned.mechanism;
      const answeredType = endpointMechanism?.type ?? '';
      if (!isKernelMechanism(endpointMechanism)) {
        throw new UnsupportedMechanismError(
          `endpoint "${connection.network_service_endpoint_name}" answered with ${answeredType === '' ? 'no' : `the ${answeredType}`} mechanism; the kernel forwarder needs KERNEL`,
        );
      }
      const endpoint = checkKernelMechanism(endpointMechanism, 'endpoint', { requireName: true });
      endpointNetns = await namespaces.acquire(endpoint.netns);
      const path = await buildDataPath(
        returned,
        client.interfaceName,
        clientNetns,
        endpoint.interfaceName,
        endpointNetns,
        held,
        tables,
      );
      storeForwarded(metadata, {
        endpointName: returned.network_service_endpoint_name,
        endpointUrl: url,
        endpointMechanism: structuredClone(endpointMechanism),
        clientNetns,
        endpointNetns,
        ...path,
      });
      held?.clientNetns.release();
      held?.endpointNetns.release();
      returned.mechanism = clientMechanism;
      return returned;
    } catch (error) {
      clientNetns.release();
      endpointNetns?.release();
      // A refresh keeps the data path it has; a new connection is closed at the endpoint again.
      if (held !== undefined || clientHoldsIt) throw error;
      return closeAfterFailure(
        ctx,
        returned,
        (closeCtx, connection) => next.close(closeCtx.withValue(endpointUrlKey, url), connection),
        error,
      );
    }
  }

  async function close(ctx: Context, connection: Connection, next: Next): Promise<void> {
    const forwarded = takeForwarded(serverMetadata(ctx));
    let localError: unknown;
    if (forwarded !== undefined) {
      try {
        await removeForwarded(forwarded);
      } catch (error) {
        localError = error;
        logger.warn(
          { connectionId: connection.id, error: messageOf(error) },
          'kernel forwarder: removing the veth pair failed',
        );
      } finally {
        forwarded.clientNetns.release();
        forwarded.endpointNetns.release();
      }
      connection.mechanism = structuredClone(forwarded.endpointMechanism);
    }
    const url = forwarded?.endpointUrl ?? registry.endpoint(connection.network_service_endpoint_name)?.url;
    try {
      await next.close(url === undefined ? ctx : ctx.withValue(endpointUrlKey, url), connection);
    } catch (error) {
      throw localError === undefined ? error : joinErrors(error, localError);
    }
    if (localError !== undefined) throw localError;
  }

  return { kind: 'server', name: 'kernelForwarder', request, close };
}
