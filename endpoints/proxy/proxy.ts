import type { Logger } from 'pino';

import type { ConfigSource } from '../../sdk/config/index.js';
import { type Connection, Context, messageOf } from '../../sdk/core/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { GrpcChannelCache, type RunningGrpcServer, serveEndpoint } from '../../sdk/grpc/index.js';
import { createKernel, type NetnsHandle } from '../../sdk/kernel/index.js';
import { kernelBridgePorts } from '../../sdk/middleware/bridge-connect/index.js';
import { AddressPool } from '../../sdk/middleware/ipam/index.js';
import { followVips, VipRouting } from '../../sdk/middleware/vip-route/index.js';
import {
  createRegistryClient,
  type EndpointRegistration,
  type ServiceRegistration,
} from '../../sdk/registry/index.js';
import { createIpamClient } from '../../sdk/services/ipam/index.js';
import { createNspClient, createTargetRegistrar } from '../../sdk/services/nsp/index.js';
import { BRIDGE_NAME, ensureBridge, removeBridge } from './bridge.js';
import { loadBalancerClient, proxyEndpoint } from './chains.js';
import type { SubnetRequest } from './config.js';
import { FullMesh } from './full-mesh.js';
import { closeLeftovers, recoverConnections } from './recover.js';
import { allocateSubnets } from './subnets.js';
import { applySysctls, PROXY_SYSCTLS } from './sysctls.js';

export interface ProxyOptions {
  /** The endpoint's name in the registry, unique per proxy. */
  readonly name: string;
  /** The node: the `nodeName` label, the IPAM owner, the bridge MAC's seed. */
  readonly node: string;
  /** The NSM (NetworkService, MonitorConnection, registry). */
  readonly nsm: string;
  readonly ipam: string;
  readonly nsp: string;
  /** Where the proxy's endpoint serves (`unix:///path` or `host:port`), as registered. */
  readonly listen: string;
  /** The named namespace to work in; undefined: the process's own. */
  readonly netns?: string;
  readonly subnets: readonly SubnetRequest[];
  /** Default `proxy`. */
  readonly serviceName?: string;
  /** Default `load-balancer`. */
  readonly loadBalancerService?: string;
  /** VIP changes (file or ConfigMap); undefined: `vips` stay as they are. */
  readonly vipSource?: ConfigSource;
  readonly vips?: readonly string[];
  readonly maxTargets?: number;
  readonly nspKeepaliveMs?: number;
  readonly requestTimeoutMs?: number;
  readonly tokenLifetimeMs?: number;
  readonly vipTable?: number;
  readonly logger: Logger;
}

export interface RunningProxy {
  readonly name: string;
  /** The subnets IPAM gave the proxy. */
  readonly subnets: readonly string[];
  /** bridge0's addresses (`172.16.3.1/24`, …). */
  readonly bridgeAddresses: readonly string[];
  readonly addresses: AddressPool;
  readonly routing: VipRouting;
  /** The load balancers connected now. */
  loadBalancers(): string[];
  /**
   * Stops: closes the connections to the LBs, unregisters the endpoint and the targets, stops serving,
   * and removes the VIP routes and the bridge. IPAM keeps the subnet for the node.
   */
  stop(): Promise<void>;
}

/** Undo steps run in reverse order, each even when an earlier one failed. */
class Teardown {
  private readonly steps: { what: string; run: () => unknown }[] = [];
  constructor(private readonly logger: Logger) {}

  add(what: string, run: () => unknown): void {
    this.steps.push({ what, run });
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        this.logger.warn({ step: step.what, error: messageOf(error) }, 'stopping: a step failed');
      }
    }
    this.steps.length = 0;
  }
}

/**
 * Starts a proxy: sysctls, subnets from IPAM, bridge0, the endpoint served and registered for the
 * node's targets, the full mesh toward the load balancers, and the VIP configuration applied as it
 * changes. A failure on the way undoes what was done and rejects with the cause.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const logger = options.logger;
  const root = Context.background({ logger });
  const teardown = new Teardown(logger);
  const lifetime = new AbortController();
  teardown.add('end the lifetime', () => lifetime.abort());
  try {
    const kernel = createKernel({ logger });
    teardown.add('close the kernel layer', () => kernel.close());
    const netns: NetnsHandle = options.netns === undefined ? kernel.current() : kernel.netns(options.netns);
    applySysctls(netns, PROXY_SYSCTLS);

    const ipam = createIpamClient({ address: options.ipam, logger });
    teardown.add('close the IPAM client', () => ipam.close());
    const subnets = await allocateSubnets(ipam, options.subnets, options.node, lifetime.signal);
    const pool = new AddressPool(subnets);
    logger.info({ subnets, bridge: pool.bridgeAddresses }, 'subnets allocated');

    await ensureBridge(netns, options.node, pool.bridgeAddresses);
    teardown.add('remove the bridge', () => removeBridge(netns));
    const routing = new VipRouting({
      netns,
      ...(options.vipTable === undefined ? {} : { table: options.vipTable }),
    });
    teardown.add('remove the VIP routes', () => routing.clear());

    const nsp = createNspClient({ address: options.nsp, logger });
    teardown.add('close the NSP client', () => nsp.close());
    const registrar = createTargetRegistrar(nsp, {
      keepaliveMs: options.nspKeepaliveMs ?? DEFAULTS.nspKeepaliveMs,
    });
    teardown.add('unregister the targets', async () => {
      const targets = registrar.registered();
      registrar.close();
      await Promise.all(targets.map((target) => nsp.unregister(target).catch(() => undefined)));
    });

    const channels = new GrpcChannelCache();
    teardown.add('close the gRPC channels', () => channels.close());
    const registry = createRegistryClient({ address: options.nsm, logger });
    teardown.add('close the registry client', () => registry.close());

    const chainOptions = {
      name: options.name,
      netns: options.netns,
      pool,
      ports: kernelBridgePorts(netns, BRIDGE_NAME),
      routing,
      registrar,
      maxTargets: options.maxTargets ?? DEFAULTS.maxTargets,
      nsm: options.nsm,
      channels,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 600_000,
      logger,
      signal: lifetime.signal,
    };
    const endpoint = proxyEndpoint(chainOptions);
    const server: RunningGrpcServer = await serveEndpoint({
      listen: options.listen,
      chain: endpoint.element,
      monitor: endpoint.monitor,
      context: root,
      logger,
    });
    teardown.add('stop serving', () => server.stop(1000));

    const serviceName = options.serviceName ?? DEFAULTS.proxyServiceName;
    // Targets name their node; the service sends each to the proxy whose nodeName label matches.
    const service: ServiceRegistration = await registry.registerService(
      {
        name: serviceName,
        matches: [{ source_selector: {}, routes: [{ destination_selector: { nodeName: '{{.nodeName}}' } }] }],
      },
      { signal: lifetime.signal },
    );
    teardown.add('stop registering the service', () => service.close());
    const registration: EndpointRegistration = await registry.registerEndpoint(
      {
        name: options.name,
        url: options.listen,
        network_service_names: [serviceName],
        network_service_labels: { [serviceName]: { labels: { nodeName: options.node } } },
      },
      { signal: lifetime.signal },
    );
    teardown.add('unregister the endpoint', () => registration.close());

    const loadBalancerService = options.loadBalancerService ?? DEFAULTS.loadBalancerServiceName;
    const recovery = {
      channels,
      nsm: options.nsm,
      clientName: options.name,
      service: loadBalancerService,
      timeoutMs: options.requestTimeoutMs ?? 15_000,
      logger,
    };
    const recovered = await recoverConnections(recovery);
    const live = await registry
      .findEndpoints({ network_service_names: [loadBalancerService] })
      .then((found) => new Set(found.map((endpoint) => endpoint.name)))
      .catch(() => undefined);
    const isLive = (connection: Connection): boolean =>
      live === undefined || live.has(connection.network_service_endpoint_name);
    await closeLeftovers(
      recovery,
      recovered.filter((connection) => !isLive(connection)),
    );
    const mesh = new FullMesh({
      client: loadBalancerClient(chainOptions),
      registry,
      service: loadBalancerService,
      recovered: recovered.filter(isLive),
      name: options.name,
      labels: { nodeName: options.node },
      root,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    });
    mesh.start();
    teardown.add('disconnect from the load balancers', () => mesh.stop());

    const configuration = new AbortController();
    const following = followVips({
      source: options.vipSource,
      initial: options.vips ?? [],
      apply: (vips) => routing.setVips(vips),
      signal: configuration.signal,
      logger,
    });
    teardown.add('stop following the VIP configuration', async () => {
      configuration.abort();
      await following;
    });

    logger.info({ name: options.name, node: options.node, listen: options.listen }, 'proxy started');
    let stopped: Promise<void> | undefined;
    return {
      name: options.name,
      subnets,
      bridgeAddresses: pool.bridgeAddresses,
      addresses: pool,
      routing,
      loadBalancers: () => [...mesh.connections().keys()].sort(),
      stop: () => (stopped ??= teardown.run()),
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}
