import type { Logger } from 'pino';

import type { ConfigSource } from '../../sdk/config/index.js';
import { Context, messageOf, type Clock } from '../../sdk/core/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { type RunningGrpcServer, serveEndpoint } from '../../sdk/grpc/index.js';
import { createKernel, type NetnsHandle } from '../../sdk/kernel/index.js';
import type { MaglevConfig } from '../../sdk/maglev/index.js';
import { followVips } from '../../sdk/middleware/vip-route/index.js';
import { createRegistryClient } from '../../sdk/registry/index.js';
import {
  createNspClient,
  watchTargets,
  type TargetChange,
  type TargetWatcher,
} from '../../sdk/services/nsp/index.js';
import { LbDataplane } from './dataplane.js';
import { kernelDataplanePorts } from './dataplane-ports.js';
import { loadBalancerEndpoint } from './endpoint.js';
import type { FwmarkRange } from './fwmark.js';
import { kernelTargetRouting } from './kernel-routing.js';
import { PendingRetry } from './pending-retry.js';
import { TargetReconciler } from './reconciler.js';
import { applySysctls, LB_SYSCTLS } from './sysctls.js';
import { Teardown } from './teardown.js';

export interface LbOptions {
  /** The endpoint's name in the registry, unique per LB. */
  readonly name: string;
  /** Default `load-balancer`. */
  readonly serviceName?: string;
  /** Labels of the endpoint for its network service. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The NSM whose registry the endpoint is registered in. */
  readonly nsm: string;
  /** Where the endpoint serves (`unix:///path` or `host:port`), as registered. */
  readonly listen: string;
  /** The named namespace to work in; undefined: the process's own. */
  readonly netns?: string;
  readonly nsp: string;
  /** The VIPs in force until `vipSource` has a configuration. */
  readonly vips?: readonly string[];
  /** VIP changes (file or ConfigMap); undefined: `vips` stay as they are. */
  readonly vipSource?: ConfigSource;
  readonly maglev: MaglevConfig;
  readonly range: FwmarkRange;
  /** Default 0. */
  readonly queue?: number;
  /** Default true. */
  readonly queueBypass?: boolean;
  /** Default true. */
  readonly pinning?: boolean;
  /** Names the LB's mangle chains; default MERIDIO-LB. */
  readonly chainPrefix?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface RunningLb {
  readonly name: string;
  /** The targets, their state, and the refused ones. */
  readonly targets: Pick<TargetReconciler, 'targets' | 'refusals' | 'active' | 'settled'>;
  /** The data path: the flow table (lookups), queue statistics, active identifiers. */
  readonly dataplane: Pick<LbDataplane, 'table' | 'stats' | 'activeIdentifiers' | 'appliedVips'>;
  /**
   * Stops: unregisters the endpoint, stops serving and watching, deactivates every target, removes every
   * rule, route and chain the LB made, and stops the queue. Resolves with the number of failed steps.
   */
  stop(): Promise<number>;
}

/**
 * Starts an LB: sysctls, leftovers of a killed run removed, the data path (queue, chains), the NSP's
 * targets reconciled into rules, routes and the Maglev table, the VIP configuration followed, and the
 * endpoint served and registered. A failure on the way undoes what was done and rejects with the cause.
 */
export async function startLb(options: LbOptions): Promise<RunningLb> {
  const logger = options.logger;
  const teardown = new Teardown(logger);
  const lifetime = new AbortController();
  teardown.add('end the lifetime', () => lifetime.abort());
  try {
    const kernel = createKernel({ logger });
    teardown.add('close the kernel layer', () => kernel.close());
    const netns: NetnsHandle = options.netns === undefined ? kernel.current() : kernel.netns(options.netns);
    applySysctls(netns, LB_SYSCTLS);

    const pinning = options.pinning ?? true;
    const ports = kernelDataplanePorts({
      netns,
      netnsName: options.netns,
      range: options.range,
      queue: options.queue ?? 0,
      queueBypass: options.queueBypass ?? true,
      pinning,
      ...(options.chainPrefix === undefined ? {} : { chainPrefix: options.chainPrefix }),
    });
    const dataplane = await LbDataplane.open({ maglev: options.maglev, pinning, logger }, ports);
    teardown.add('remove the chains, stop the queue, remove the blackholes', () => dataplane.close());

    const reconciler = new TargetReconciler({
      routing: kernelTargetRouting(netns),
      activation: dataplane,
      range: options.range,
      logger,
    });
    await reconciler.removeLeftovers();
    teardown.add('deactivate the targets and remove their rules and routes', () => reconciler.clear());

    const retry = new PendingRetry({
      reconciler,
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const retrying = retry.run(lifetime.signal);
    const watchingLinks = followLinks(netns, retry, lifetime.signal, logger);
    teardown.add('stop retrying pending targets', async () => {
      lifetime.abort();
      await Promise.all([retrying, watchingLinks]);
    });

    const nsp = createNspClient({ address: options.nsp, logger });
    teardown.add('close the NSP client', () => nsp.close());
    const watcher = watchTargets(nsp);
    const following = followTargets(watcher, reconciler, retry, logger);
    teardown.add('stop watching the NSP', async () => {
      watcher.close();
      await following;
    });

    const configuration = new AbortController();
    const applyingVips = followVips({
      source: options.vipSource,
      initial: options.vips ?? [],
      apply: (vips) => dataplane.setVips(vips),
      signal: configuration.signal,
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    teardown.add('stop following the VIP configuration', async () => {
      configuration.abort();
      await applyingVips;
    });

    const endpoint = loadBalancerEndpoint({
      name: options.name,
      netns: options.netns,
      signal: lifetime.signal,
    });
    const server: RunningGrpcServer = await serveEndpoint({
      listen: options.listen,
      chain: endpoint.element,
      monitor: endpoint.monitor,
      context: Context.background({ logger }),
      logger,
    });
    teardown.add('stop serving', () => server.stop(1000));

    const serviceName = options.serviceName ?? DEFAULTS.loadBalancerServiceName;
    const registry = createRegistryClient({ address: options.nsm, logger });
    teardown.add('close the registry client', () => registry.close());
    const service = await registry.registerService({ name: serviceName }, { signal: lifetime.signal });
    teardown.add('stop registering the service', () => service.close());
    const registration = await registry.registerEndpoint(
      {
        name: options.name,
        url: options.listen,
        network_service_names: [serviceName],
        network_service_labels: { [serviceName]: { labels: { ...options.labels } } },
      },
      { signal: lifetime.signal },
    );
    teardown.add('unregister the endpoint', () => registration.close());

    logger.info(
      {
        name: options.name,
        listen: options.listen,
        nsp: options.nsp,
        fwmarkTables: `${options.range.first}-${options.range.last}`,
        maglev: options.maglev,
        queue: options.queue ?? 0,
        pinning,
      },
      'load balancer started',
    );
    let stopped: Promise<number> | undefined;
    return {
      name: options.name,
      targets: reconciler,
      dataplane,
      stop: () => (stopped ??= teardown.run()),
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

/** Applies the NSP's changes in order; each is retried later by `retry` when it cannot be routed yet. */
async function followTargets(
  watcher: TargetWatcher,
  reconciler: TargetReconciler,
  retry: PendingRetry,
  logger: Logger,
): Promise<void> {
  const apply = (change: TargetChange): Promise<void> => {
    switch (change.kind) {
      case 'added':
        return reconciler.add(change.target);
      case 'removed':
        return reconciler.remove(change.target);
      case 'updated':
        return reconciler.update(change.target, change.previous);
    }
  };
  try {
    for await (const change of watcher) {
      await apply(change);
      if (reconciler.pendingCount() > 0) retry.poke();
    }
  } catch (error) {
    logger.error({ error: messageOf(error) }, 'following the NSP targets ended');
  }
}

/** Every link event of the LB's namespace may make a pending target routable, or an active one lose its route. */
async function followLinks(
  netns: NetnsHandle,
  retry: PendingRetry,
  signal: AbortSignal,
  logger: Logger,
): Promise<void> {
  try {
    for await (const event of netns.watchLinks({ signal })) retry.onLinkEvent(event);
  } catch (error) {
    if (!signal.aborted) {
      logger.error(
        { error: messageOf(error) },
        'watching links ended; pending targets are retried on the timer only',
      );
    }
  }
}
