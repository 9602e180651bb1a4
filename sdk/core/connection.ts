import { copyMessage } from './copy/index.js';
import type {
  Connection,
  ConnectionContext,
  IPContext,
  Mechanism,
  NetworkServiceRequest,
  Path,
  PathSegment,
  Timestamp,
} from './types.js';

/** Partial shapes accepted where a caller builds a connection or request by hand. */
export type ConnectionInit = Partial<Omit<Connection, 'context' | 'path' | 'mechanism'>> & {
  context?:
    (Partial<Omit<ConnectionContext, 'ip_context'>> & { ip_context?: Partial<IPContext> | null }) | null;
  path?: Partial<Path> | null;
  mechanism?: Partial<Mechanism> | null;
};

export interface RequestInit {
  connection?: ConnectionInit | null;
  mechanism_preferences?: Partial<Mechanism>[];
}

export function newIPContext(init: Partial<IPContext> = {}): IPContext {
  return {
    src_ip_addrs: [],
    dst_ip_addrs: [],
    src_ip_required: false,
    dst_ip_required: false,
    src_routes: [],
    dst_routes: [],
    excluded_prefixes: [],
    ip_neighbors: [],
    extra_prefix_request: [],
    extra_prefixes: [],
    policies: [],
    ...init,
  };
}

export function newConnectionContext(
  init: Partial<Omit<ConnectionContext, 'ip_context'>> & { ip_context?: Partial<IPContext> | null } = {},
): ConnectionContext {
  const { ip_context, ...rest } = init;
  return {
    dns_context: null,
    ethernet_context: null,
    extra_context: {},
    MTU: 0,
    ...rest,
    ip_context: ip_context ? newIPContext(ip_context) : null,
  };
}

export function newMechanism(init: Partial<Mechanism> = {}): Mechanism {
  return { cls: '', type: '', parameters: {}, ...init };
}

export function newPathSegment(init: Partial<PathSegment> = {}): PathSegment {
  return { name: '', id: '', token: '', expires: null, metrics: {}, ...init };
}

/** A complete Connection (every field present) from a partial one. */
export function newConnection(init: ConnectionInit = {}): Connection {
  const { context, path, mechanism, ...rest } = init;
  return {
    id: '',
    network_service: '',
    labels: {},
    network_service_endpoint_name: '',
    payload: '',
    state: 'UP',
    ...rest,
    mechanism: mechanism ? newMechanism(mechanism) : null,
    context: context ? newConnectionContext(context) : null,
    path: path
      ? { index: path.index ?? 0, path_segments: (path.path_segments ?? []).map((s) => newPathSegment(s)) }
      : null,
  };
}

/** A complete NetworkServiceRequest from a partial one. */
export function newRequest(init: RequestInit = {}): NetworkServiceRequest {
  return {
    connection: newConnection(init.connection ?? {}),
    mechanism_preferences: (init.mechanism_preferences ?? []).map((m) => newMechanism(m)),
  };
}

export function cloneConnection(connection: Connection): Connection {
  return copyMessage(connection);
}

export function cloneRequest(request: NetworkServiceRequest): NetworkServiceRequest {
  return copyMessage(request);
}

/** The connection's context, created if missing. */
export function contextOf(connection: Connection): ConnectionContext {
  connection.context ??= newConnectionContext();
  return connection.context;
}

/** The connection's IP context, created if missing. */
export function ipContextOf(connection: Connection): IPContext {
  const context = contextOf(connection);
  context.ip_context ??= newIPContext();
  return context.ip_context;
}

/** The connection's path, created if missing. */
export function pathOf(connection: Connection): Path {
  connection.path ??= { index: 0, path_segments: [] };
  return connection.path;
}

export function currentSegment(connection: Connection): PathSegment | undefined {
  const path = connection.path;
  return path?.path_segments[path.index];
}

export function previousSegment(connection: Connection): PathSegment | undefined {
  const path = connection.path;
  if (!path || path.index === 0) return undefined;
  return path.path_segments[path.index - 1];
}

export function nextSegment(connection: Connection): PathSegment | undefined {
  const path = connection.path;
  return path?.path_segments[path.index + 1];
}

export function timestampToMs(timestamp: Timestamp | null | undefined): number | undefined {
  if (!timestamp) return undefined;
  return Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
}

export function msToTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}
