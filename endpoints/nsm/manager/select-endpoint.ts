/**
 * The manager's choice of endpoint (upstream's discover + roundrobin): the endpoint the connection
 * names, or the endpoints of its network service whose labels the service's matches accept for the
 * request's labels (registry.selectEndpoints), tried in turn from a rotating start until one accepts.
 * A reselect tries the endpoint the connection used last only after the others.
 */
import type { Logger } from 'pino';

import {
  Code,
  type Connection,
  type Context,
  cloneRequest,
  codeOf,
  messageOf,
  type NetworkServiceRequest,
  type NetworkServiceServer,
  type Next,
  NotFoundError,
  serverMetadata,
  State,
  UnavailableError,
} from '../../../sdk/core/index.js';
import type { Labels, NetworkServiceEndpoint } from '../../../sdk/registry/index.js';
import type { Registry } from '../registry/index.js';
import { loadSelected, storeSelected, takeSelected } from './metadata.js';
import { waitForEndpoint } from './wait-for-endpoint.js';

export interface SelectEndpointOptions {
  readonly registry: Registry;
  readonly logger: Logger;
  /** How long a connection that names an unregistered endpoint waits for it; default the registry expiry. */
  readonly namedEndpointWaitMs?: number;
}

/** Errors that are about the request itself: another endpoint would refuse it too. */
const FINAL_CODES: ReadonlySet<Code> = new Set([
  Code.INVALID_ARGUMENT,
  Code.NOT_FOUND,
  Code.ALREADY_EXISTS,
  Code.PERMISSION_DENIED,
  Code.CANCELLED,
  Code.DEADLINE_EXCEEDED,
]);

function describeLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? 'no labels' : `labels {${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
}

function noEndpointError(registry: Registry, service: string, labels: Labels): NotFoundError {
  const serving = registry.findEndpoints({ network_service_names: [service] });
  if (serving.length === 0) {
    return new NotFoundError(`network service "${service}" is unknown: no endpoint is registered for it`);
  }
  return new NotFoundError(
    `none of the ${serving.length} endpoints of network service "${service}" matches a request with ${describeLabels(labels)}`,
  );
}

/** The endpoint the connection used before a reselect: the segment two hops after the manager's. */
function previousEndpoint(connection: Connection): string | undefined {
  const path = connection.path;
  if (connection.state !== State.RESELECT_REQUESTED || !path) return undefined;
  return path.path_segments[path.index + 2]?.name;
}

export function selectEndpointServer(options: SelectEndpointOptions): NetworkServiceServer {
  const { registry, logger } = options;
  const waitMs = options.namedEndpointWaitMs ?? registry.expiryMs;
  let turn = 0;

  function rotate(candidates: NetworkServiceEndpoint[], avoid: string | undefined): NetworkServiceEndpoint[] {
    const start = turn++ % candidates.length;
    const rotated = [...candidates.slice(start), ...candidates.slice(0, start)];
    if (avoid === undefined) return rotated;
    return [...rotated.filter((e) => e.name !== avoid), ...rotated.filter((e) => e.name === avoid)];
  }

  async function candidatesFor(
    ctx: Context,
    connection: Connection,
    held: string | undefined,
  ): Promise<NetworkServiceEndpoint[]> {
    const service = connection.network_service;
    const named = connection.network_service_endpoint_name;
    if (named === '') {
      const selected = registry.selectEndpoints(service, connection.labels);
      if (selected.length === 0) throw noEndpointError(registry, service, connection.labels);
      return rotate(selected, previousEndpoint(connection));
    }
    const endpoint = registry.endpoint(named);
    if (endpoint !== undefined && endpoint.network_service_names.includes(service)) return [endpoint];
    if (held !== undefined) {
      throw new NotFoundError(
        `network service endpoint "${named}" of network service "${service}" is no longer registered`,
      );
    }
    // Not ours yet, yet naming its endpoint: a connection made before this NSM (re)started.
    return [await waitForEndpoint(registry, named, service, ctx, waitMs)];
  }

  async function request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
    const metadata = serverMetadata(ctx);
    const connection = request.connection!;
    const candidates = await candidatesFor(ctx, connection, loadSelected(metadata));
    const failures: string[] = [];
    let lastError: unknown;
    for (const candidate of candidates) {
      const attempt = cloneRequest(request);
      attempt.connection!.network_service_endpoint_name = candidate.name;
      try {
        const returned = await next.request(ctx, attempt);
        storeSelected(metadata, candidate.name);
        return returned;
      } catch (error) {
        if (candidates.length === 1 || FINAL_CODES.has(codeOf(error)) || ctx.cancelled) throw error;
        lastError = error;
        failures.push(`${candidate.name}: ${messageOf(error)}`);
        logger.info(
          { connectionId: connection.id, endpoint: candidate.name, error: messageOf(error) },
          'endpoint refused the connection; trying the next one',
        );
      }
    }
    throw new UnavailableError(
      `none of the ${candidates.length} endpoints of network service "${connection.network_service}" accepted the connection: ${failures.join('; ')}`,
      { cause: lastError },
    );
  }

  async function close(ctx: Context, connection: Connection, next: Next): Promise<void> {
    takeSelected(serverMetadata(ctx));
    await next.close(ctx, connection);
  }

  return { kind: 'server', name: 'selectEndpoint', request, close };
}
