/**
 * One local instance, as the supervisor daemon runs it: the namespaces, the processes (kept running
 * with restarts), the gateway's VIP routes, and what `status` reports. Topology changes (`scale`) are
 * serialized; an observer loop reads the kernel and the NSP every half second, and a prober sends
 * ctraffic from the external host until every registered target has answered on every VIP.
 */
import type { Logger } from 'pino';

import { type ConfigSource, fileConfigSource, type Vip } from '../../sdk/config/index.js';
import { messageOf } from '../../sdk/core/index.js';
import {
  createKernel,
  formatPrefix,
  type Kernel,
  type NetnsHandle,
  networkOf,
  parsePrefix,
} from '../../sdk/kernel/index.js';
import { createNspClient, IDENTIFIER_KEY, type NspClient } from '../../sdk/services/nsp/index.js';
import { ComponentSpecs } from './components.js';
import { runCtraffic, vipAddress } from './ctraffic-run.js';
import { reconcileGatewayRoutes } from './gateway-routes.js';
import { LocalNetwork } from './network.js';
import {
  EXTERNAL_NETWORK,
  externalNamespace,
  gatewayNamespace,
  initialLbs,
  initialProxies,
  type LbPlan,
  planScale,
  type ProxyPlan,
  type TargetPlan,
  type TopologySpec,
  LIMITS,
} from './plan.js';
import { LocalUsageError } from './errors.js';
import { ResourceRecord } from './resources.js';
import type { StatePaths } from './state-paths.js';
import type { LocalStatus, Phase, ProcessInfo } from './status.js';
import { type ProcessSpec, type RestartPolicy, SupervisedProcess } from './supervised-process.js';
import { type AddressOwner, NeighbourRefresher } from './neighbour-refresh.js';
import { pause, waitUntil, Waker } from './wait.js';

export interface LocalClusterOptions {
  readonly paths: StatePaths;
  readonly spec: TopologySpec;
  readonly logger: Logger;
  readonly logLevel: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly kernel?: Kernel;
  readonly restartPolicy?: RestartPolicy;
}

interface LbState {
  readonly plan: LbPlan;
  readonly process: SupervisedProcess;
  nsmLinks: number;
  routed: boolean;
}

interface ProxyState {
  readonly plan: ProxyPlan;
  readonly process: SupervisedProcess;
  subnets: string[];
}

interface TargetState {
  readonly plan: TargetPlan;
  readonly target: SupervisedProcess;
  readonly ctraffic: SupervisedProcess;
  ips: string[];
  identifier: number | null;
  /** The VIPs a probe from the external host got an answer from it on, since it (re)started. */
  readonly seen: Set<string>;
}

const OBSERVE_EVERY_MS = 500;
const PROBE_EVERY_MS = 500;
/** A target that stays unreachable this long is probed less often (each probe starts a process). */
const PROBE_PATIENCE_MS = 30_000;
const PROBE_SLOW_EVERY_MS = 5000;
const PROBE_DURATION_MS = 1500;
/** An LB takes VIP traffic once it has served this long (its NSP snapshot is in by then). */
const LB_SETTLE_MS = 1000;
const SERVICE_START_TIMEOUT_MS = 30_000;
const CTRAFFIC_START_TIMEOUT_MS = 30_000;
/** How long a removed target's unregistration may take to reach the NSP before its server stops. */
const UNREGISTER_TIMEOUT_MS = 5000;
/** After the NSP forgot a removed target, the LBs' Monitor streams need a moment to apply it. */
const LB_DRAIN_MS = 300;

function isGlobal(cidr: string): boolean {
  return !cidr.startsWith('fe80:') && !cidr.startsWith('169.254.');
}

function bare(ip: string): string {
  const slash = ip.indexOf('/');
  return slash < 0 ? ip : ip.slice(0, slash);
}

export class LocalCluster {
  private phase: Phase = 'starting';
  private failure: string | undefined;
  private wantedTargets: number;
  private readonly kernel: Kernel;
  private readonly record: ResourceRecord;
  private readonly network: LocalNetwork;
  private readonly components: ComponentSpecs;
  private readonly services: SupervisedProcess[] = [];
  private readonly lbs: LbState[] = [];
  private readonly proxies: ProxyState[] = [];
  private readonly targets = new Map<string, TargetState>();
  private vips: readonly Vip[] = [];
  private nsp: NspClient | undefined;
  private configSource: ConfigSource | undefined;
  private readonly lifetime = new AbortController();
  private readonly observer = new Waker();
  private readonly prober = new Waker();
  private operations: Promise<unknown> = Promise.resolve();
  private readonly loops: Promise<void>[] = [];
  private readonly logger: Logger;
  private readonly neighbours: NeighbourRefresher;
  readonly externalNs: string;
  readonly gatewayNs: string;

  constructor(private readonly options: LocalClusterOptions) {
    this.logger = options.logger;
    this.neighbours = new NeighbourRefresher(options.logger);
    this.wantedTargets = options.spec.targets;
    this.kernel = options.kernel ?? createKernel({ logger: options.logger });
    this.record = new ResourceRecord(options.paths.resourcesFile);
    this.network = new LocalNetwork(this.kernel, this.record);
    this.components = new ComponentSpecs(options.paths, options.logLevel, options.env);
    this.externalNs = externalNamespace(options.spec.prefix);
    this.gatewayNs = gatewayNamespace(options.spec.prefix);
  }

  /** Builds the instance; on failure the phase becomes `failed` (what was made stays, for `down`). */
  start(): Promise<void> {
    return this.enqueue(async () => {
      try {
        await this.bringUp();
        this.phase = 'running';
        this.logger.info('every process started');
      } catch (error) {
        if (this.lifetime.signal.aborted) return;
        this.phase = 'failed';
        this.failure = messageOf(error);
        this.logger.error({ error: this.failure }, 'the instance could not be brought up');
      }
    });
  }

  /**
   * Asks for `wanted` targets; resolves once the change is accepted (the work continues in the
   * background, `status().ready` tells when it is done). LocalUsageError for a count out of range.
   */
  requestScale(wanted: number): void {
    if (!Number.isSafeInteger(wanted) || wanted < 0 || wanted > LIMITS.targets) {
      throw new LocalUsageError(
        `--targets must be a whole number from 0 to ${LIMITS.targets}, not ${wanted}.`,
      );
    }
    if (this.phase === 'stopping' || this.phase === 'failed') {
      throw new LocalUsageError(`The instance is ${this.phase}: it cannot be scaled.`);
    }
    this.wantedTargets = wanted;
    void this.enqueue(() => this.scaleTo(wanted));
  }

  /** Stops every process, deletes every namespace the instance made. */
  async down(): Promise<void> {
    this.phase = 'stopping';
    this.lifetime.abort();
    await Promise.allSettled(this.loops);
    // An operation in progress stops at its next step (every wait ends on the abort).
    await this.operations;
    const apps = [
      ...[...this.targets.values()].flatMap((target) => [target.target, target.ctraffic]),
      ...this.proxies.map((proxy) => proxy.process),
      ...this.lbs.map((lb) => lb.process),
    ];
    await Promise.all(apps.map((process) => process.stop(3000)));
    await Promise.all(this.services.map((process) => process.stop(3000)));
    this.nsp?.close();
    await this.configSource?.close();
    for (const namespace of this.record.list()) {
      try {
        this.network.deleteNamespace(namespace);
      } catch (error) {
        this.logger.error({ namespace, error: messageOf(error) }, 'cannot delete a namespace');
      }
    }
    this.kernel.close();
    this.logger.info('every process stopped and every namespace deleted');
  }

  status(supervisorPid: number): LocalStatus {
    const info = (process: SupervisedProcess): ProcessInfo => ({
      pid: process.pid ?? null,
      restarts: process.restarts,
    });
    const lbs = this.lbs.map((lb) => ({
      name: lb.plan.name,
      namespace: lb.plan.namespace,
      healthy: this.lbHealthy(lb),
      ...info(lb.process),
      gatewayIps: [lb.plan.addresses.ipv4, lb.plan.addresses.ipv6],
      routed: lb.routed,
    }));
    const proxies = this.proxies.map((proxy) => ({
      name: proxy.plan.name,
      namespace: proxy.plan.namespace,
      node: proxy.plan.node,
      subnets: proxy.subnets,
      healthy: proxy.process.ready && proxy.subnets.length > 0,
      ...info(proxy.process),
    }));
    const targets = [...this.targets.values()]
      .sort((a, b) => a.plan.index - b.plan.index)
      .map((target) => {
        const registered = target.identifier !== null;
        const reachable = this.reachable(target);
        return {
          name: target.plan.name,
          namespace: target.plan.namespace,
          node: target.plan.node,
          identifier: target.identifier,
          ips: target.ips,
          healthy: target.target.running && target.ctraffic.ready && registered && reachable,
          registered,
          reachable,
          ...info(target.target),
          ctraffic: info(target.ctraffic),
        };
      });
    const services = this.services.map((process) => ({
      name: process.spec.name,
      healthy: process.ready,
      ...info(process),
    }));
    const ready =
      this.phase === 'running' &&
      targets.length === this.wantedTargets &&
      [...lbs, ...proxies, ...targets, ...services].every((item) => item.healthy);
    return {
      vips: this.vips.map((vip) => vip.cidr),
      external: {
        namespace: this.externalNs,
        ips: [EXTERNAL_NETWORK.hostAddresses.ipv4, EXTERNAL_NETWORK.hostAddresses.ipv6],
      },
      gateway: { namespace: this.gatewayNs },
      lbs,
      proxies,
      targets,
      services,
      stateDir: this.options.paths.dir,
      supervisorPid,
      phase: this.phase,
      ready,
      wantedTargets: this.wantedTargets,
      ...(this.failure === undefined ? {} : { failure: this.failure }),
    };
  }

  /** Every process of the instance with its state, for the supervisor's metrics. */
  processes(): SupervisedProcess[] {
    return [
      ...this.services,
      ...this.lbs.map((lb) => lb.process),
      ...this.proxies.map((proxy) => proxy.process),
      ...[...this.targets.values()].flatMap((target) => [target.target, target.ctraffic]),
    ];
  }

  /** Every step of an operation checks this, so nothing new is made once `down` began. */
  private checkAlive(): void {
    if (this.lifetime.signal.aborted) throw new LocalUsageError('The instance is going down.');
  }

  private async bringUp(): Promise<void> {
    const { spec, paths } = this.options;
    await this.network.createExternalSide(this.externalNs, this.gatewayNs);
    this.loops.push(this.observeLoop(), this.probeLoop());
    for (const service of [this.components.nsm(), this.components.nsp(), this.components.ipam()]) {
      this.services.push(this.startProcess(service));
    }
    await waitUntil(
      'nsm, nsp and ipam to serve',
      () => this.services.every((process) => process.ready),
      SERVICE_START_TIMEOUT_MS,
      this.lifetime.signal,
    );
    this.nsp = createNspClient({ address: paths.service('nsp'), backoff: { initialMs: 100, maxMs: 1000 } });
    this.followConfig();
    for (const plan of initialLbs(spec)) {
      this.checkAlive();
      await this.network.createLbNamespace(this.gatewayNs, plan);
      const state: LbState = {
        plan,
        process: this.startProcess(this.components.lb(plan)),
        nsmLinks: 0,
        routed: false,
      };
      this.lbs.push(state);
    }
    for (const plan of initialProxies(spec)) {
      this.checkAlive();
      await this.network.createNamespace(plan.namespace, 'proxy');
      this.proxies.push({ plan, process: this.startProcess(this.components.proxy(plan)), subnets: [] });
    }
    await this.scaleTo(spec.targets);
  }

  /** Starts a supervised process; `onRun` is called whenever it starts or stops. */
  private startProcess(spec: ProcessSpec, onRun?: () => void): SupervisedProcess {
    const process = new SupervisedProcess(
      spec,
      this.logger,
      {
        onStart: () => onRun?.(),
        // A process that died changes routes (an LB) or reachability: look again at once.
        onExit: () => {
          this.observer.wake();
          onRun?.();
        },
      },
      this.options.restartPolicy,
    );
    process.start();
    return process;
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.operations.then(operation, operation);
    this.operations = result.catch(() => undefined);
    return result;
  }

  private async scaleTo(wanted: number): Promise<void> {
    if (this.lifetime.signal.aborted) return;
    const previous = this.phase;
    if (previous === 'running') this.phase = 'scaling';
    try {
      const nodes = this.proxies.map((proxy) => proxy.plan.node);
      const current = [...this.targets.values()].map((target) => target.plan);
      const plan = planScale(this.options.spec.prefix, current, wanted, nodes);
      if (plan.add.length + plan.remove.length > 0) {
        this.logger.info(
          {
            from: current.length,
            to: wanted,
            adding: plan.add.map((t) => t.name),
            removing: plan.remove.map((t) => t.name),
          },
          'scaling the targets',
        );
      }
      await Promise.all([
        ...plan.remove.map((target) => this.removeTarget(target.name)),
        ...plan.add.map((target) => this.addTarget(target)),
      ]);
    } finally {
      if (this.phase === 'scaling') this.phase = 'running';
    }
  }

  /** The pod: its namespace, the ctraffic server (listening first, so no flow meets a closed port), then the target. */
  private async addTarget(plan: TargetPlan): Promise<void> {
    this.checkAlive();
    await this.network.createNamespace(plan.namespace, 'target');
    const seen = new Set<string>();
    const reset = (): void => seen.clear();
    const state: TargetState = {
      plan,
      ctraffic: this.startProcess(this.components.ctraffic(plan), reset),
      target: new SupervisedProcess(
        this.components.target(plan),
        this.logger,
        { onStart: reset, onExit: reset },
        this.options.restartPolicy,
      ),
      ips: [],
      identifier: null,
      seen,
    };
    this.targets.set(plan.name, state);
    await waitUntil(
      `${state.ctraffic.spec.name} to listen`,
      () => state.ctraffic.ready,
      CTRAFFIC_START_TIMEOUT_MS,
      this.lifetime.signal,
    );
    this.checkAlive();
    state.target.start();
  }

  /**
   * As kubelet deletes a pod, but ordered so that only the target's own flows are lost: the target
   * leaves first (it closes its connection, the proxy unregisters it, the LBs stop sending it new
   * flows), then its server stops and its namespace goes.
   */
  private async removeTarget(name: string): Promise<void> {
    const state = this.targets.get(name);
    if (state === undefined) return;
    const ips = new Set(state.ips.map(bare));
    await state.target.stop();
    if (ips.size > 0 && this.nsp !== undefined) {
      const nsp = this.nsp;
      try {
        await waitUntil(
          `the NSP to forget ${name}`,
          async () => {
            const registered = await nsp.getTargets({ timeoutMs: 1000 });
            return !registered.some((target) => target.ips.some((ip) => ips.has(bare(ip))));
          },
          UNREGISTER_TIMEOUT_MS,
          this.lifetime.signal,
        );
        await pause(LB_DRAIN_MS, this.lifetime.signal);
      } catch (error) {
        this.logger.warn({ target: name, error: messageOf(error) }, 'removing the target anyway');
      }
    }
    await state.ctraffic.stop(1000);
    this.targets.delete(name);
    this.network.deleteNamespace(state.plan.namespace);
    this.logger.info({ target: name }, 'target removed');
  }

  private followConfig(): void {
    const source = fileConfigSource({ path: this.options.paths.configFile, logger: this.logger });
    this.configSource = source;
    this.loops.push(
      (async () => {
        for await (const { config, diff } of source.updates(this.lifetime.signal)) {
          this.vips = config.vips;
          this.logger.info(
            {
              vips: config.vips.map((vip) => vip.cidr),
              added: diff.added.map((v) => v.cidr),
              removed: diff.removed.map((v) => v.cidr),
            },
            'VIPs changed',
          );
          this.observer.wake();
          this.prober.wake();
        }
      })(),
    );
  }

  private lbHealthy(lb: LbState): boolean {
    return lb.process.ready && lb.nsmLinks > 0;
  }

  private reachable(target: TargetState): boolean {
    return this.vips.every((vip) => target.seen.has(vip.cidr));
  }

  private async observeLoop(): Promise<void> {
    while (!this.lifetime.signal.aborted) {
      try {
        await this.observe();
      } catch (error) {
        if (!this.lifetime.signal.aborted) this.logger.warn({ error: messageOf(error) }, 'observing failed');
      }
      await this.observer.sleep(OBSERVE_EVERY_MS, this.lifetime.signal);
    }
  }

  /** Reads what the kernel and the NSP say, and keeps the gateway's VIP routes on the usable LBs. */
  private async observe(): Promise<void> {
    const owners: AddressOwner[] = [];
    for (const target of [...this.targets.values()]) {
      const addresses = await this.interfaceAddresses(target.plan.namespace, (link) => link !== 'lo');
      target.ips = addresses.map((entry) => entry.address);
      owners.push(...addresses);
    }
    if (this.nsp !== undefined) {
      try {
        const registered = await this.nsp.getTargets({ timeoutMs: 1000 });
        const byIp = new Map<string, number>();
        for (const entry of registered) {
          const identifier = Number(entry.context[IDENTIFIER_KEY]);
          for (const ip of entry.ips) byIp.set(bare(ip), Number.isFinite(identifier) ? identifier : 0);
        }
        for (const target of this.targets.values()) {
          const match = target.ips.map((ip) => byIp.get(ip)).find((id) => id !== undefined);
          target.identifier = match ?? null;
        }
      } catch (error) {
        // The NSP is restarting: keep what it said last.
        this.logger.debug({ error: messageOf(error) }, 'the NSP did not answer');
      }
    }
    for (const proxy of this.proxies) {
      const bridge = await this.interfaceAddresses(proxy.plan.namespace, (link) => link === 'bridge0');
      proxy.subnets = bridge.map((entry) => formatPrefix(networkOf(parsePrefix(entry.cidr))));
    }
    for (const lb of this.lbs) {
      const nsmLink = (link: string): boolean => link !== 'lo' && link !== lb.plan.link;
      lb.nsmLinks = (await this.linksIn(lb.plan.namespace)).filter(nsmLink).length;
      owners.push(...(await this.interfaceAddresses(lb.plan.namespace, nsmLink)));
    }
    await this.neighbours.update(owners, this.peerHandles());
    const usable = this.lbs.filter(
      (lb) => this.lbHealthy(lb) && Date.now() - lb.process.since >= LB_SETTLE_MS,
    );
    for (const lb of this.lbs) lb.routed = usable.includes(lb);
    const changes = await reconcileGatewayRoutes(
      this.network.handle(this.gatewayNs),
      this.vips,
      usable.map((lb) => lb.plan),
    );
    for (const change of changes) this.logger.info(change, 'gateway route changed');
  }

  private async linksIn(namespace: string): Promise<string[]> {
    try {
      return (await this.network.handle(namespace).links.list()).map((link) => link.name);
    } catch {
      return [];
    }
  }

  /** The namespaces that send to NSM addresses directly: the LBs (to targets) and proxies (to LBs). */
  private peerHandles(): NetnsHandle[] {
    const handles: NetnsHandle[] = [];
    for (const namespace of [
      ...this.lbs.map((lb) => lb.plan.namespace),
      ...this.proxies.map((p) => p.plan.namespace),
    ]) {
      try {
        handles.push(this.network.handle(namespace));
      } catch {
        // Not there (yet): nothing to flush in it.
      }
    }
    return handles;
  }

  /** Global addresses of the matching links, with their link's MAC; IPv4 first. */
  private async interfaceAddresses(
    namespace: string,
    matches: (link: string) => boolean,
  ): Promise<(AddressOwner & { readonly cidr: string })[]> {
    try {
      const handle = this.network.handle(namespace);
      const links = new Map((await handle.links.list()).map((link) => [link.index, link]));
      return (await handle.addresses.list())
        .filter((address) => matches(links.get(address.linkIndex)?.name ?? '') && isGlobal(address.cidr))
        .map((address) => ({
          address: address.address,
          cidr: address.cidr,
          mac: links.get(address.linkIndex)?.mac ?? '',
        }))
        .sort((a, b) =>
          a.address.includes(':') === b.address.includes(':')
            ? a.address.localeCompare(b.address)
            : a.address.includes(':')
              ? 1
              : -1,
        );
    } catch {
      return [];
    }
  }

  private async probeLoop(): Promise<void> {
    let waitingFor = '';
    let waitingSince = 0;
    while (!this.lifetime.signal.aborted) {
      const waiting = [...this.targets.values()].filter(
        (target) =>
          target.target.running &&
          target.ctraffic.ready &&
          target.identifier !== null &&
          !this.reachable(target),
      );
      // Patient again whenever the set of targets waited for changes (one answered, one joined).
      const key = waiting.map((target) => target.plan.name).join(',');
      if (key !== waitingFor) [waitingFor, waitingSince] = [key, Date.now()];
      if (waiting.length > 0 && this.vips.length > 0 && this.lbs.some((lb) => lb.routed)) {
        await this.probe();
      }
      const slow = Date.now() - waitingSince > PROBE_PATIENCE_MS;
      await this.prober.sleep(slow ? PROBE_SLOW_EVERY_MS : PROBE_EVERY_MS, this.lifetime.signal);
    }
  }

  /** One round of ctraffic from the external host to every VIP; marks the targets that answered. */
  private async probe(): Promise<void> {
    const nconn = Math.min(200, Math.max(16, 8 * this.targets.size));
    await Promise.all(
      this.vips.map(async (vip) => {
        try {
          const stats = await runCtraffic({
            namespace: this.externalNs,
            address: vipAddress(vip),
            nconn,
            durationMs: PROBE_DURATION_MS,
            signal: this.lifetime.signal,
          });
          for (const connection of stats.ConnStats ?? []) {
            if (connection.Host !== undefined && connection.Host !== '') {
              this.targets.get(connection.Host)?.seen.add(vip.cidr);
            }
          }
        } catch (error) {
          if (!this.lifetime.signal.aborted)
            this.logger.debug({ vip: vip.cidr, error: messageOf(error) }, 'probe failed');
        }
      }),
    );
  }
}
