/**
 * The registry client that endpoints, the proxy and the manager use: register an endpoint and keep it
 * registered, find and watch endpoints and network services, all as promises and async iterables with
 * AbortSignal cancellation. Works against the embedded NSM's registry and any NSM registry.
 */
import { randomUUID } from 'node:crypto';

import pino, { type Logger } from 'pino';

import { type Clock, messageOf, msToTimestamp, systemClock, timestampToMs } from '../core/index.js';
import { DEFAULTS } from '../defaults.js';
import type { BackoffOptions } from './backoff.js';
import { type CallOptions, RegistryTransport } from './grpc-transport.js';
import { KeptRegistration } from './kept-registration.js';
import { resilientWatch } from './resilient-watch.js';
import {
  type EndpointEvent,
  type NetworkService,
  type NetworkServiceEndpoint,
  type NetworkServiceEndpointInit,
  type NetworkServiceInit,
  newNetworkServiceEndpoint,
  type ServiceEvent,
} from './types.js';

export type { CallOptions } from './grpc-transport.js';

export interface RegistryClientOptions {
  /** The registry: `host:port` or `unix:///path`. */
  readonly address: string;
  readonly logger?: Logger;
  /** Drives re-registration and watch timers; default the system clock. */
  readonly clock?: Clock;
  /** Deadline of each Register, Unregister and one-shot Find; default 10 s. */
  readonly callTimeoutMs?: number;
  /** Backoff of reconnects and retries; default 100 ms doubling up to 5 s. */
  readonly reconnect?: BackoffOptions;
  /**
   * How long a watch keeps a network service that a restarted registry does not list (services do not
   * expire, so their owners register them again); default DEFAULTS.registryExpiryMs.
   */
  readonly serviceRestartGraceMs?: number;
}

export interface RegisterEndpointOptions {
  /** Ask for a shorter lifetime than the registry's; by default the registry chooses. */
  readonly expiryMs?: number;
  /** Aborting it closes the registration (unregisters), e.g. from the process's SIGTERM handler. */
  readonly signal?: AbortSignal;
}

/** An endpoint kept registered until `close`. */
export interface EndpointRegistration {
  /** The endpoint as the registry last confirmed it (name, expiration and registration times). */
  readonly endpoint: NetworkServiceEndpoint;
  /** Stops re-registering and unregisters the endpoint; safe to call more than once. */
  close(): Promise<void>;
}

export interface RegisterServiceOptions {
  /** How often to register again, so a restarted registry learns it back; default DEFAULTS.registryExpiryMs / 3. */
  readonly refreshMs?: number;
  readonly signal?: AbortSignal;
}

/** A network service kept registered until `close`. */
export interface ServiceRegistration {
  readonly service: NetworkService;
  /**
   * Stops re-registering. The service stays registered: other endpoints may serve it; call
   * `unregisterService` to remove it.
   */
  close(): Promise<void>;
}

export interface RegistryClient {
  /**
   * Registers the endpoint (named `endpoint-<uuid>` when it has no name), then again every third of the
   * lifetime the registry granted, retrying with backoff while the registry is away. Rejects with the
   * registry's error (e.g. INVALID_ARGUMENT) when the first registration fails.
   */
  registerEndpoint(
    endpoint: NetworkServiceEndpointInit,
    options?: RegisterEndpointOptions,
  ): Promise<EndpointRegistration>;
  unregisterEndpoint(name: string, options?: CallOptions): Promise<void>;
  /** The endpoints that match `query` now (NSM matchutils rules: every non-empty field must match). */
  findEndpoints(query?: NetworkServiceEndpointInit, options?: CallOptions): Promise<NetworkServiceEndpoint[]>;
  /**
   * The matching endpoints, then every change, until `signal` aborts or the loop stops; survives
   * registry restarts without spurious deletions.
   */
  watchEndpoints(query?: NetworkServiceEndpointInit, signal?: AbortSignal): AsyncIterable<EndpointEvent>;

  registerService(
    service: NetworkServiceInit,
    options?: RegisterServiceOptions,
  ): Promise<ServiceRegistration>;
  unregisterService(name: string, options?: CallOptions): Promise<void>;
  findServices(query?: NetworkServiceInit, options?: CallOptions): Promise<NetworkService[]>;
  watchServices(query?: NetworkServiceInit, signal?: AbortSignal): AsyncIterable<ServiceEvent>;

  /** Closes the connection; close registrations first so that they can unregister. */
  close(): void;
}

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  return new GrpcRegistryClient(options);
}

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

class GrpcRegistryClient implements RegistryClient {
  private readonly transport: RegistryTransport;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly options: RegistryClientOptions) {
    this.transport = new RegistryTransport({
      address: options.address,
      callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      reconnect: options.reconnect,
    });
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({
      component: 'registry-client',
      registry: options.address,
    });
  }

  async registerEndpoint(
    init: NetworkServiceEndpointInit,
    options: RegisterEndpointOptions = {},
  ): Promise<EndpointRegistration> {
    const base = newNetworkServiceEndpoint(init);
    // The name is chosen here, once: a retry whose first reply was lost then updates the same endpoint.
    if (base.name === '') base.name = `endpoint-${randomUUID()}`;
    const logger = this.logger.child({ endpoint: base.name });
    const kept = await KeptRegistration.start<NetworkServiceEndpoint>({
      register: (previous) =>
        this.transport.registerEndpoint({
          ...base,
          initial_registration_time: previous?.initial_registration_time ?? base.initial_registration_time,
          // Sending back the old expiration time would ask for it; leave it to the registry unless asked.
          expiration_time:
            options.expiryMs === undefined ? null : msToTimestamp(this.clock.now() + options.expiryMs),
        }),
      intervalAfter: (registered, sentAt) => {
        const granted =
          (timestampToMs(registered.expiration_time) ?? sentAt + DEFAULTS.registryExpiryMs) - sentAt;
        return Math.max(1, granted / 3);
      },
      release: async (last) => {
        try {
          await this.transport.unregisterEndpoint({ name: last.name });
          logger.info('endpoint unregistered');
        } catch (error) {
          logger.warn({ reason: messageOf(error) }, 'could not unregister the endpoint; it will expire');
        }
      },
      clock: this.clock,
      logger,
      retry: this.options.reconnect,
      signal: options.signal,
    });
    logger.info({ services: base.network_service_names, url: base.url }, 'endpoint registered');
    return {
      get endpoint() {
        return kept.last;
      },
      close: () => kept.close(),
    };
  }

  unregisterEndpoint(name: string, options?: CallOptions): Promise<void> {
    return this.transport.unregisterEndpoint({ name }, options);
  }

  async findEndpoints(
    query: NetworkServiceEndpointInit = {},
    options?: CallOptions,
  ): Promise<NetworkServiceEndpoint[]> {
    const found: NetworkServiceEndpoint[] = [];
    for await (const event of this.transport.findEndpoints(query, false, options).messages)
      found.push(event.item);
    return found;
  }

  watchEndpoints(query: NetworkServiceEndpointInit = {}, signal?: AbortSignal): AsyncIterable<EndpointEvent> {
    return resilientWatch<NetworkServiceEndpoint>(
      {
        open: (streamSignal) => this.transport.findEndpoints(query, true, { signal: streamSignal }),
        keyOf: (endpoint) => endpoint.name,
        graceDeadline: (endpoint, now) =>
          timestampToMs(endpoint.expiration_time) ?? now + DEFAULTS.registryExpiryMs,
      },
      {
        signal,
        clock: this.clock,
        logger: this.logger.child({ watch: 'endpoints' }),
        reconnect: this.options.reconnect,
      },
    );
  }

  async registerService(
    init: NetworkServiceInit,
    options: RegisterServiceOptions = {},
  ): Promise<ServiceRegistration> {
    const refreshMs = options.refreshMs ?? DEFAULTS.registryExpiryMs / 3;
    const kept = await KeptRegistration.start<NetworkService>({
      register: () => this.transport.registerService(init),
      intervalAfter: () => refreshMs,
      clock: this.clock,
      logger: this.logger.child({ service: init.name }),
      retry: this.options.reconnect,
      signal: options.signal,
    });
    return {
      get service() {
        return kept.last;
      },
      close: () => kept.close(),
    };
  }

  unregisterService(name: string, options?: CallOptions): Promise<void> {
    return this.transport.unregisterService({ name }, options);
  }

  async findServices(query: NetworkServiceInit = {}, options?: CallOptions): Promise<NetworkService[]> {
    const found: NetworkService[] = [];
    for await (const event of this.transport.findServices(query, false, options).messages)
      found.push(event.item);
    return found;
  }

  watchServices(query: NetworkServiceInit = {}, signal?: AbortSignal): AsyncIterable<ServiceEvent> {
    const graceMs = this.options.serviceRestartGraceMs ?? DEFAULTS.registryExpiryMs;
    return resilientWatch<NetworkService>(
      {
        open: (streamSignal) => this.transport.findServices(query, true, { signal: streamSignal }),
        keyOf: (service) => service.name,
        graceDeadline: (_service, now) => now + graceMs,
      },
      {
        signal,
        clock: this.clock,
        logger: this.logger.child({ watch: 'services' }),
        reconnect: this.options.reconnect,
      },
    );
  }

  close(): void {
    this.transport.close();
  }
}
