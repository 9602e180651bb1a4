/**
 * The proxy–target test bed: the embedded NSM, the NSP and the IPAM in this process (on unix sockets),
 * a stand-in load balancer (a bare NSE registered as `load-balancer` in its own namespace), one proxy
 * and targets, each working in a namespace of the test's netns sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger } from 'pino';

import { type RunningTarget, startTarget } from '../../../clients/target/index.js';
import { startIpamService, type RunningIpamService } from '../../../endpoints/ipam/index.js';
import { startNsm, type RunningNsm } from '../../../endpoints/nsm/index.js';
import { startNspService, type RunningNspService } from '../../../endpoints/nsp/index.js';
import { type RunningProxy, startProxy } from '../../../endpoints/proxy/index.js';
import { newEndpoint } from '../../../sdk/chains/index.js';
import {
  type ConfigSource,
  fileConfigSource,
  parseMeridioConf,
  writeConfigFile,
} from '../../../sdk/config/index.js';
import { Context } from '../../../sdk/core/index.js';
import { DEFAULTS } from '../../../sdk/defaults.js';
import { type RunningGrpcServer, serveEndpoint } from '../../../sdk/grpc/index.js';
import { interfaceNameServer } from '../../../sdk/middleware/interface-name/index.js';
import { kernelMechanismServer } from '../../../sdk/middleware/kernel-mechanism/index.js';
import {
  createRegistryClient,
  type EndpointRegistration,
  type RegistryClient,
} from '../../../sdk/registry/index.js';
import { createNspClient, type NspClient } from '../../../sdk/services/nsp/index.js';
import type { NetnsSandbox } from '../../helpers/netns.js';
import { run, testLogger } from '../nsm/fixtures.js';

/** An address the stand-in LB owns outside the proxy's subnet: it plays the external client. */
export const EXTERNAL_V4 = '10.99.0.1';
export const EXTERNAL_V6 = 'fd99::1';

/**
 * A load balancer reduced to what the proxy needs of one: an NSE of `load-balancer` whose interfaces go
 * into its namespace, taking the addresses the proxy gives them. Its namespace also has the external
 * addresses on lo and accepts VIP replies (rp_filter off, forwarding on).
 */
export class StandInLoadBalancer {
  private constructor(
    readonly name: string,
    readonly netns: string,
    private readonly server: RunningGrpcServer,
    private readonly registration: EndpointRegistration,
    private readonly registry: RegistryClient,
    private readonly lifetime: AbortController,
  ) {}

  static async start(
    bed: { sandbox: NetnsSandbox; nsm: RunningNsm; dir: string; logger: Logger },
    name: string,
  ): Promise<StandInLoadBalancer> {
    const netns = bed.sandbox.create(name).name;
    const handle = bed.sandbox.kernel.netns(netns);
    for (const [key, value] of [
      ['net.ipv4.conf.all.rp_filter', 0],
      ['net.ipv4.conf.default.rp_filter', 0],
      ['net.ipv6.conf.all.accept_dad', 0],
      ['net.ipv6.conf.default.accept_dad', 0],
    ] as const) {
      handle.sysctl.set(key, value);
    }
    await handle.links.setUp('lo');
    await handle.addresses.add('lo', `${EXTERNAL_V4}/32`);
    await handle.addresses.add('lo', `${EXTERNAL_V6}/128`);
    const lifetime = new AbortController();
    const endpoint = newEndpoint({
      name,
      signal: lifetime.signal,
      additional: [kernelMechanismServer({ netns }), interfaceNameServer({ prefix: 'lbp' })],
    });
    const url = `unix://${join(bed.dir, `${name}.sock`)}`;
    const server = await serveEndpoint({
      listen: url,
      chain: endpoint.element,
      monitor: endpoint.monitor,
      context: Context.background({ logger: bed.logger.child({ component: name }) }),
    });
    const registry = createRegistryClient({
      address: bed.nsm.address,
      reconnect: { initialMs: 50, maxMs: 500 },
    });
    const registration = await registry.registerEndpoint({
      name,
      url,
      network_service_names: [DEFAULTS.loadBalancerServiceName],
    });
    return new StandInLoadBalancer(name, netns, server, registration, registry, lifetime);
  }

  /** Unregisters (the proxy closes its connection) and stops serving. */
  async stop(): Promise<void> {
    await this.registration.close();
    this.registry.close();
    this.lifetime.abort();
    await this.server.stop(500);
  }
}

export interface BedOptions {
  readonly node?: string;
  readonly vips: readonly string[];
}

/** Everything but the proxy's and targets' own namespaces lives here; `stop()` ends it all. */
export class TestBed {
  readonly node: string;
  readonly configFile: string;
  readonly logger = testLogger();
  private readonly sources: ConfigSource[] = [];

  private constructor(
    readonly sandbox: NetnsSandbox,
    readonly dir: string,
    readonly nsm: RunningNsm,
    readonly nsp: RunningNspService,
    readonly nspClient: NspClient,
    readonly ipam: RunningIpamService,
    options: BedOptions,
  ) {
    this.node = options.node ?? 'node-1';
    this.configFile = join(dir, 'meridio.conf');
  }

  static async start(sandbox: NetnsSandbox, options: BedOptions): Promise<TestBed> {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-target-'));
    const logger = testLogger();
    const nsm = await startNsm({ socket: join(dir, 'nsm.sock'), logger });
    const nsp = await startNspService({
      listen: `unix://${join(dir, 'nsp.sock')}`,
      databasePath: ':memory:',
      keepaliveMs: DEFAULTS.nspKeepaliveMs,
      logger,
    });
    const ipam = await startIpamService({
      listen: `unix://${join(dir, 'ipam.sock')}`,
      databasePath: join(dir, 'ipam.db'),
      logger,
    });
    const nspClient = createNspClient({ address: `unix://${join(dir, 'nsp.sock')}` });
    const bed = new TestBed(sandbox, dir, nsm, nsp, nspClient, ipam, options);
    await bed.writeVips(options.vips);
    return bed;
  }

  /** Writes the VIPs into the watched configuration file, atomically. */
  writeVips(vips: readonly string[]): Promise<void> {
    return writeConfigFile(this.configFile, parseMeridioConf(`vips: [${vips.join(', ')}]`));
  }

  private source(): ConfigSource {
    const source = fileConfigSource({ path: this.configFile, logger: this.logger, debounceMs: 20 });
    this.sources.push(source);
    return source;
  }

  loadBalancer(name: string): Promise<StandInLoadBalancer> {
    return StandInLoadBalancer.start(
      { sandbox: this.sandbox, nsm: this.nsm, dir: this.dir, logger: this.logger },
      name,
    );
  }

  /** Starts the proxy of the node in namespace `netns` (created when missing). */
  proxy(netns: string): Promise<RunningProxy> {
    if (!this.sandbox.kernel.namespaceExists(netns)) this.sandbox.kernel.createNamespace(netns);
    return startProxy({
      name: `proxy-${this.node}`,
      node: this.node,
      nsm: this.nsm.address,
      ipam: `unix://${join(this.dir, 'ipam.sock')}`,
      nsp: `unix://${join(this.dir, 'nsp.sock')}`,
      listen: `unix://${join(this.dir, `proxy-${this.node}.sock`)}`,
      netns,
      subnets: [
        { pool: '172.16.0.0/16', prefixLength: 24 },
        { pool: 'fd00::/48', prefixLength: 64 },
      ],
      vipSource: this.source(),
      requestTimeoutMs: 10_000,
      logger: this.logger.child({ component: 'proxy' }),
    });
  }

  /** Starts a target working in a new namespace of the sandbox. */
  target(name: string): RunningTarget {
    const netns = this.sandbox.create(name).name;
    return startTarget({
      name,
      node: this.node,
      nsm: this.nsm.address,
      netns,
      vipSource: this.source(),
      requestTimeoutMs: 10_000,
      logger: this.logger.child({ component: name }),
    });
  }

  async stop(): Promise<void> {
    for (const source of this.sources) await source.close();
    this.nspClient.close();
    await this.nsm.stop();
    await this.nsp.stop();
    await this.ipam.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `ip -n <netns> …` through a child process that does not block this process's event loop. */
export async function ipIn(netns: string, ...args: string[]): Promise<string> {
  const result = await run('ip', ['-n', netns, ...args]);
  if (result.status !== 0) throw new Error(`ip -n ${netns} ${args.join(' ')} failed: ${result.output}`);
  return result.output;
}

/** `ip netns exec <netns> ping …` from `source`: true when one reply came within the time given. */
export async function pings(netns: string, address: string, source?: string, seconds = 5): Promise<boolean> {
  const args = ['netns', 'exec', netns, 'ping', '-c', '1', '-w', String(seconds), '-i', '0.2'];
  if (source !== undefined) args.push('-I', source);
  const result = await run('ip', [...args, address]);
  return result.status === 0;
}

/** The global addresses of a link (`172.16.3.1/24`), sorted. */
export async function globalAddresses(netns: string, link: string): Promise<string[]> {
  const links = JSON.parse(await ipIn(netns, '-j', 'addr', 'show', 'dev', link)) as {
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return links
    .flatMap((l) => l.addr_info)
    .filter((a) => a.scope === 'global' || a.scope === 'host')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

/** The links of a namespace with their kind and master, other than lo. */
export async function linksIn(netns: string): Promise<{ name: string; master?: string; mac: string }[]> {
  const links = JSON.parse(await ipIn(netns, '-j', 'link', 'show')) as {
    ifname: string;
    master?: string;
    address: string;
  }[];
  return links
    .filter((l) => l.ifname !== 'lo')
    .map((l) => ({
      name: l.ifname,
      mac: l.address,
      ...(l.master === undefined ? {} : { master: l.master }),
    }));
}

/** What is left in table 4096 and its rules, both families. */
export async function vipRouting(netns: string): Promise<string> {
  const parts = await Promise.all([
    ipIn(netns, '-4', 'rule', 'show', 'table', '4096'),
    ipIn(netns, '-6', 'rule', 'show', 'table', '4096'),
    ipIn(netns, '-4', 'route', 'show', 'table', '4096'),
    ipIn(netns, '-6', 'route', 'show', 'table', '4096'),
  ]);
  return parts.join('').trim();
}
