import type { Logger } from 'pino';

import {
  type Client,
  type ClientOptions,
  type Endpoint,
  type EndpointOptions,
  newClient,
  newEndpoint,
  type RequestInput,
} from '../chains/index.js';
import { type Connection, connectInProcess, Context } from '../core/index.js';
import { FakeClock } from './fake-clock.js';

export interface SandboxOptions {
  /** The endpoint chain (name, additional elements, …); its lifetime is the sandbox's. */
  readonly endpoint?: Omit<EndpointOptions, 'signal'>;
  /** The client chain; it reaches the endpoint in process. */
  readonly client?: Omit<ClientOptions, 'connectTo' | 'signal'>;
  /** Default: a new FakeClock. */
  readonly clock?: FakeClock;
  /** Default: silent. */
  readonly logger?: Logger;
}

/** An endpoint chain and a client chain wired together in this process, on a fake clock. */
export interface Sandbox {
  readonly clock: FakeClock;
  readonly endpoint: Endpoint;
  readonly client: Client;
  /** A fresh context on the sandbox's clock and logger. */
  context(): Context;
  /** `client.request` on a fresh context. */
  request(request?: RequestInput): Promise<Connection>;
  /** `client.close` on a fresh context. */
  close(connection: Connection): Promise<void>;
  /** Another client of the same endpoint. */
  newClient(options?: Omit<ClientOptions, 'connectTo' | 'signal'>): Client;
  /** Ends the chains' lifetime: pending refreshes and expiries do nothing, monitor streams end. */
  stop(): void;
}

/**
 * Wires `newEndpoint` and `newClient` in process (no kernel, no network, no real time), so a chain can
 * be tested end to end in a few lines: request, advance the clock to see refreshes and expiries, close.
 */
export function newSandbox(options: SandboxOptions = {}): Sandbox {
  const clock = options.clock ?? new FakeClock();
  const lifetime = new AbortController();
  const context = (): Context => Context.background({ clock, logger: options.logger });
  const endpoint = newEndpoint({ ...options.endpoint, signal: lifetime.signal });
  const clientOf = (clientOptions: Omit<ClientOptions, 'connectTo' | 'signal'> = {}): Client =>
    newClient({ ...clientOptions, connectTo: connectInProcess(endpoint.element), signal: lifetime.signal });
  const client = clientOf(options.client);
  return {
    clock,
    endpoint,
    client,
    context,
    request: (request) => client.request(context(), request),
    close: (connection) => client.close(context(), connection),
    newClient: clientOf,
    stop: () => lifetime.abort(),
  };
}
