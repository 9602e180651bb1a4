/**
 * The registry's domain: network services and their endpoints in memory, endpoint expiry on an
 * injected clock, watches, and the endpoint selection the manager needs. It knows nothing of gRPC;
 * the adapters in grpc-*.ts serve it.
 */
import { randomUUID } from 'node:crypto';

import pino, { type Logger } from 'pino';

import {
  type Clock,
  InvalidArgumentError,
  msToTimestamp,
  systemClock,
  type TimerHandle,
  timestampToMs,
} from '../../../sdk/core/index.js';
import { DEFAULTS } from '../../../sdk/defaults.js';
import {
  type Labels,
  matchEndpoint,
  matchService,
  type NetworkService,
  type NetworkServiceEndpoint,
  type NetworkServiceEndpointInit,
  type NetworkServiceInit,
  newNetworkService,
  newNetworkServiceEndpoint,
  type RegistryEvent,
  selectEndpointsByLabels,
} from '../../../sdk/registry/index.js';
import { validateEndpoint, validateEndpointName, validateService, validateServiceName } from './validate.js';
import { type RemovalCause, WatchableStore } from './watchable-store.js';

export interface RegistryOptions {
  /** How long an endpoint stays registered unless it registers again; default DEFAULTS.registryExpiryMs. */
  readonly expiryMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Why an endpoint left the registry. */
export type EndpointRemovalReason = RemovalCause;

export interface RegistryWatcher<T> {
  onEvent(event: RegistryEvent<T>): void;
  /** The registry was closed; no further events will come. */
  onClose?(): void;
}

export interface RegistrySubscription<T> {
  /** What matched when the watch began; every later change arrives through `onEvent`. */
  readonly snapshot: T[];
  cancel(): void;
}

export interface Registry {
  /** A random id of this in-memory state: a restarted registry has another one. */
  readonly instanceId: string;
  readonly expiryMs: number;

  /**
   * Adds or replaces an endpoint (by name). `expiration_time` becomes now + expiry when absent or
   * later than that; `initial_registration_time` is kept from the first registration.
   */
  registerEndpoint(endpoint: NetworkServiceEndpointInit): NetworkServiceEndpoint;
  /** Removes the endpoint; returns it, or undefined when it was not registered. */
  unregisterEndpoint(name: string): NetworkServiceEndpoint | undefined;
  endpoint(name: string): NetworkServiceEndpoint | undefined;
  /** The endpoints every non-empty field of `query` matches (NSM matchutils rules). */
  findEndpoints(query?: NetworkServiceEndpointInit): NetworkServiceEndpoint[];
  watchEndpoints(
    query: NetworkServiceEndpointInit,
    watcher: RegistryWatcher<NetworkServiceEndpoint>,
  ): RegistrySubscription<NetworkServiceEndpoint>;

  registerService(service: NetworkServiceInit): NetworkService;
  unregisterService(name: string): NetworkService | undefined;
  service(name: string): NetworkService | undefined;
  findServices(query?: NetworkServiceInit): NetworkService[];
  watchServices(
    query: NetworkServiceInit,
    watcher: RegistryWatcher<NetworkService>,
  ): RegistrySubscription<NetworkService>;

  /**
   * The endpoints of `serviceName` that a request with `requestLabels` may use, by the service's
   * `matches` (any endpoint of the service when it has none or is not registered).
   */
  selectEndpoints(serviceName: string, requestLabels: Labels): NetworkServiceEndpoint[];
  /** Calls `listener` whenever an endpoint is unregistered or expires; returns the unsubscribe function. */
  onEndpointRemoved(
    listener: (endpoint: NetworkServiceEndpoint, reason: EndpointRemovalReason) => void,
  ): () => void;

  /** Stops expiry timers and ends every watch. */
  close(): void;
}

export function createRegistry(options: RegistryOptions = {}): Registry {
  return new InMemoryRegistry(options);
}

class InMemoryRegistry implements Registry {
  readonly instanceId = randomUUID();
  readonly expiryMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly endpoints: WatchableStore<NetworkServiceEndpoint>;
  private readonly services: WatchableStore<NetworkService>;
  private readonly expiryTimers = new Map<string, TimerHandle>();

  constructor(options: RegistryOptions) {
    const expiryMs = options.expiryMs ?? DEFAULTS.registryExpiryMs;
    if (!Number.isFinite(expiryMs) || expiryMs <= 0) {
      throw new InvalidArgumentError(
        `the registry expiry must be a positive number of milliseconds, not ${expiryMs}`,
      );
    }
    this.expiryMs = expiryMs;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'nsm-registry' });
    this.endpoints = new WatchableStore((endpoint) => endpoint.name, this.logger);
    this.services = new WatchableStore((service) => service.name, this.logger);
  }

  registerEndpoint(init: NetworkServiceEndpointInit): NetworkServiceEndpoint {
    const endpoint = newNetworkServiceEndpoint(init);
    endpoint.network_service_names = [...new Set(endpoint.network_service_names)];
    validateEndpoint(endpoint);
    const now = this.clock.now();
    const expiresAt = this.expirationFor(endpoint, now);
    const existing = this.endpoints.get(endpoint.name);
    endpoint.initial_registration_time =
      existing?.initial_registration_time ?? endpoint.initial_registration_time ?? msToTimestamp(now);
    endpoint.expiration_time = msToTimestamp(expiresAt);
    // The timer goes in before the store tells its watchers, so a watcher that unregisters the
    // endpoint from its callback also cancels this timer.
    this.scheduleExpiry(endpoint.name, expiresAt - now);
    this.endpoints.put(endpoint);
    const fields = { endpoint: endpoint.name, url: endpoint.url, services: endpoint.network_service_names };
    if (existing) this.logger.debug(fields, 'endpoint registered again');
    else this.logger.info(fields, 'endpoint registered');
    return structuredClone(endpoint);
  }

  unregisterEndpoint(name: string): NetworkServiceEndpoint | undefined {
    validateEndpointName(name, 'unregistering an endpoint');
    return this.removeEndpoint(name, 'unregistered');
  }

  endpoint(name: string): NetworkServiceEndpoint | undefined {
    return this.endpoints.get(name);
  }

  findEndpoints(query: NetworkServiceEndpointInit = {}): NetworkServiceEndpoint[] {
    return this.endpoints.list((endpoint) => matchEndpoint(query, endpoint));
  }

  watchEndpoints(
    query: NetworkServiceEndpointInit,
    watcher: RegistryWatcher<NetworkServiceEndpoint>,
  ): RegistrySubscription<NetworkServiceEndpoint> {
    const filter = newNetworkServiceEndpoint(query);
    return this.endpoints.watch({
      matches: (endpoint) => matchEndpoint(filter, endpoint),
      onEvent: (event) => watcher.onEvent({ item: event.item, deleted: event.deleted }),
      onClose: () => watcher.onClose?.(),
    });
  }

  registerService(init: NetworkServiceInit): NetworkService {
    const service = newNetworkService(init);
    validateService(service);
    const existed = this.services.has(service.name);
    this.services.put(service);
    if (!existed) this.logger.info({ service: service.name }, 'network service registered');
    return structuredClone(service);
  }

  unregisterService(name: string): NetworkService | undefined {
    validateServiceName(name, 'unregistering a network service');
    const removed = this.services.remove(name, 'unregistered');
    if (removed) this.logger.info({ service: name }, 'network service unregistered');
    return removed;
  }

  service(name: string): NetworkService | undefined {
    return this.services.get(name);
  }

  findServices(query: NetworkServiceInit = {}): NetworkService[] {
    return this.services.list((service) => matchService(query, service));
  }

  watchServices(
    query: NetworkServiceInit,
    watcher: RegistryWatcher<NetworkService>,
  ): RegistrySubscription<NetworkService> {
    const filter = newNetworkService(query);
    return this.services.watch({
      matches: (service) => matchService(filter, service),
      onEvent: (event) => watcher.onEvent({ item: event.item, deleted: event.deleted }),
      onClose: () => watcher.onClose?.(),
    });
  }

  selectEndpoints(serviceName: string, requestLabels: Labels): NetworkServiceEndpoint[] {
    const candidates = this.endpoints.list((endpoint) =>
      endpoint.network_service_names.includes(serviceName),
    );
    const service = this.services.get(serviceName) ?? newNetworkService({ name: serviceName });
    return selectEndpointsByLabels(service, requestLabels, candidates);
  }

  onEndpointRemoved(
    listener: (endpoint: NetworkServiceEndpoint, reason: EndpointRemovalReason) => void,
  ): () => void {
    const subscription = this.endpoints.watch({
      matches: () => true,
      onEvent: (event) => {
        if (event.cause !== undefined) listener(event.item, event.cause);
      },
    });
    return () => subscription.cancel();
  }

  close(): void {
    for (const timer of this.expiryTimers.values()) this.clock.clearTimeout(timer);
    this.expiryTimers.clear();
    this.endpoints.close();
    this.services.close();
  }

  /** The requested expiration when it is sooner than now + expiry, else now + expiry. */
  private expirationFor(endpoint: NetworkServiceEndpoint, now: number): number {
    const latest = now + this.expiryMs;
    const requested = timestampToMs(endpoint.expiration_time);
    if (requested === undefined) return latest;
    if (requested <= now) {
      throw new InvalidArgumentError(
        `network service endpoint "${endpoint.name}" has an expiration_time (${new Date(requested).toISOString()}) that is not in the future: leave it out to get the registry's expiry`,
      );
    }
    return Math.min(requested, latest);
  }

  private scheduleExpiry(name: string, delayMs: number): void {
    const previous = this.expiryTimers.get(name);
    if (previous !== undefined) this.clock.clearTimeout(previous);
    const timer = this.clock.setTimeout(() => {
      if (this.expiryTimers.get(name) !== timer) return;
      this.logger.info({ endpoint: name }, 'endpoint expired: it did not register again in time');
      this.removeEndpoint(name, 'expired');
    }, delayMs);
    this.expiryTimers.set(name, timer);
  }

  private removeEndpoint(name: string, cause: RemovalCause): NetworkServiceEndpoint | undefined {
    const timer = this.expiryTimers.get(name);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.expiryTimers.delete(name);
    const removed = this.endpoints.remove(name, cause);
    if (removed && cause === 'unregistered') this.logger.info({ endpoint: name }, 'endpoint unregistered');
    return removed;
  }
}
