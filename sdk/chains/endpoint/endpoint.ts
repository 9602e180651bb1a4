import { randomUUID } from 'node:crypto';

import {
  beginServer,
  type ConnectionMonitor,
  defineServer,
  metadataServer,
  monitorServer,
  namedChainServer,
  type NetworkServiceServer,
  opaqueTokenGenerator,
  timeoutServer,
  type TokenGenerator,
  updatepathServer,
  updatetokenServer,
} from '../../core/index.js';

export interface EndpointOptions {
  /** This hop's path segment name; default `endpoint-<uuid>`. */
  readonly name?: string;
  /** Issues this hop's token and expiry; default opaque tokens valid 10 minutes. */
  readonly tokenGenerator?: TokenGenerator;
  /** Checks the request before any state is kept (NSM's authorize); default: everything is allowed. */
  readonly authorize?: NetworkServiceServer;
  /** What this endpoint does (ipam, mechanisms, …), after the standard elements, in order. */
  readonly additional?: readonly NetworkServiceServer[];
  /** The endpoint's lifetime: when it aborts, timers stop and monitor subscriptions end. */
  readonly signal?: AbortSignal;
}

/** An endpoint chain and the monitor of the connections it holds. */
export interface Endpoint {
  readonly name: string;
  readonly element: NetworkServiceServer;
  readonly monitor: ConnectionMonitor;
}

/**
 * The standard endpoint chain (NSM's endpoint.NewServer): reading the list says what every endpoint
 * does before its own elements.
 */
export function newEndpoint(options: EndpointOptions = {}): Endpoint {
  const name = options.name ?? `endpoint-${randomUUID()}`;
  const monitor = monitorServer({ signal: options.signal });
  const element = namedChainServer(
    name,
    updatepathServer(name),
    beginServer({ signal: options.signal }),
    updatetokenServer(options.tokenGenerator ?? opaqueTokenGenerator()),
    options.authorize ?? defineServer('authorize-any'),
    metadataServer(),
    timeoutServer(),
    monitor,
    ...(options.additional ?? []),
  );
  return { name, element, monitor: monitor.monitor };
}
