import { randomUUID } from 'node:crypto';

import {
  beginClient,
  type Connection,
  type ConnectionInit,
  type Context,
  copyMessage,
  defineClient,
  metadataClient,
  namedChainClient,
  type NetworkServiceClient,
  type NetworkServiceRequest,
  newConnection,
  newRequest,
  opaqueTokenGenerator,
  refreshClient,
  type ReselectFunction,
  type RequestInit,
  runClose,
  runRequest,
  type TokenGenerator,
  updatepathClient,
  updatetokenClient,
} from '../../core/index.js';

export interface ClientOptions {
  /** The terminal element that reaches the endpoint: a gRPC client tail, or `connectInProcess(endpoint)`. */
  readonly connectTo: NetworkServiceClient;
  /** This hop's path segment name; default `client-<uuid>`. */
  readonly name?: string;
  /** Issues this hop's token and expiry (what the endpoint's timeout reads); default opaque, 10 minutes. */
  readonly tokenGenerator?: TokenGenerator;
  /** Checks the returned connection (NSM's authorize client); default: everything is allowed. */
  readonly authorize?: NetworkServiceClient;
  /** What this client does (mechanism, ipam, …), in order, before authorize and the terminal element. */
  readonly additional?: readonly NetworkServiceClient[];
  /** Keep connections alive by refreshing them before they expire; default true. */
  readonly refresh?: boolean;
  /** Heals connections whose path broke (the heal element; none by default). */
  readonly heal?: NetworkServiceClient;
  /** Applied on reselect events; default: no mechanism, no endpoint name, state RESELECT_REQUESTED. */
  readonly reselect?: ReselectFunction;
  /** The client's lifetime: when it aborts, refreshes stop. */
  readonly signal?: AbortSignal;
}

/** What a caller may pass as a request: a partial one, or a complete one (e.g. built from a returned connection). */
export type RequestInput = RequestInit | NetworkServiceRequest;

/** A client chain and the calls that run it with complete requests. */
export interface Client {
  readonly name: string;
  readonly element: NetworkServiceClient;
  /** Requests (or refreshes, with the returned connection) a connection. */
  request(ctx: Context, request?: RequestInput): Promise<Connection>;
  /** Closes a connection this client requested. */
  close(ctx: Context, connection: Connection | ConnectionInit): Promise<void>;
}

/**
 * The standard client chain (NSM's client.NewClient): updatepath → begin → updatetoken → metadata →
 * refresh → heal → additional → authorize → the terminal element.
 */
export function newClient(options: ClientOptions): Client {
  const name = options.name ?? `client-${randomUUID()}`;
  const elements: NetworkServiceClient[] = [
    updatepathClient(name),
    beginClient({ signal: options.signal, reselect: options.reselect }),
    updatetokenClient(options.tokenGenerator ?? opaqueTokenGenerator()),
    metadataClient(),
  ];
  if (options.refresh !== false) elements.push(refreshClient());
  if (options.heal !== undefined) elements.push(options.heal);
  elements.push(
    ...(options.additional ?? []),
    options.authorize ?? defineClient('authorize-any'),
    options.connectTo,
  );
  const element = namedChainClient(name, ...elements);
  return {
    name,
    element,
    // Copies first: the chain edits the request in place and the caller keeps its own objects.
    request: (ctx, request = {}) => runRequest(element, ctx, newRequest(copyMessage(request))),
    close: (ctx, connection) => runClose(element, ctx, newConnection(copyMessage(connection))),
  };
}
