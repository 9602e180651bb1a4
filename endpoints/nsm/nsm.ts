/**
 * The embedded NSM in one object: registry, manager and kernel forwarder, served on one unix socket with
 * the upstream gRPC API (both registry services, NetworkService, MonitorConnection, health).
 */
import pino, { type Logger } from 'pino';

import { Context } from '../../sdk/core/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import {
  GrpcChannelCache,
  monitorConnectionRegistration,
  networkServiceRegistration,
  type RunningGrpcServer,
  startGrpcServer,
} from '../../sdk/grpc/index.js';
import { newForwarder, NamespaceHandles } from './forwarder/index.js';
import { newManager } from './manager/index.js';
import { createRegistry, type Registry, registryServices } from './registry/index.js';
import type { ConnectionMonitor } from '../../sdk/core/index.js';

export interface NsmOptions {
  /** The unix socket path to serve on (a stale socket file is replaced). */
  readonly socket: string;
  /** The manager's path segment name (the forwarder's is `<name>-forwarder`); default `nsm`. */
  readonly name?: string;
  /** Endpoints not registered again within this time are dropped; default 60 s. */
  readonly registryExpiryMs?: number;
  readonly logger?: Logger;
}

export interface RunningNsm {
  /** `unix:///path`: where clients, endpoints and registry clients connect. */
  readonly address: string;
  readonly registry: Registry;
  /** The connections the manager holds, as its MonitorConnection serves them. */
  readonly monitor: ConnectionMonitor;
  /**
   * Stops serving and forgets every connection. The veth pairs stay: the data paths keep working, and an
   * NSM started again on the same socket adopts them when their clients refresh or heal.
   */
  stop(): Promise<void>;
}

export async function startNsm(options: NsmOptions): Promise<RunningNsm> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const name = options.name ?? 'nsm';
  const lifetime = new AbortController();
  const registry = createRegistry({
    expiryMs: options.registryExpiryMs ?? DEFAULTS.registryExpiryMs,
    logger,
  });
  const channels = new GrpcChannelCache();
  const namespaces = new NamespaceHandles();
  const forwarder = newForwarder({
    name: `${name}-forwarder`,
    registry,
    channels,
    namespaces,
    logger,
    signal: lifetime.signal,
  });
  const manager = newManager({ name, forwarder, registry, channels, logger, signal: lifetime.signal });
  const context = Context.background({ logger: logger.child({ component: 'nsm' }) });
  const address = `unix://${options.socket}`;
  let server: RunningGrpcServer;
  try {
    server = await startGrpcServer({
      listen: address,
      services: [
        ...registryServices(registry, logger),
        networkServiceRegistration(manager.element, { context }),
        monitorConnectionRegistration(manager.monitor, { context }),
      ],
      logger,
    });
  } catch (error) {
    lifetime.abort();
    registry.close();
    channels.close();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    address,
    registry,
    monitor: manager.monitor,
    stop: () =>
      (stopped ??= (async () => {
        lifetime.abort();
        await server.stop(1000);
        registry.close();
        channels.close();
        namespaces.close();
      })()),
  };
}
