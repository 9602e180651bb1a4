/**
 * The LB (its in-process runner, startLb) in a real namespace between a client and three targets, with
 * the embedded NSM's registry and an NSP over gRPC: targets registered at the NSP get flows, a target
 * behind an NSM connection waits until the connection brings its subnet, unregistering moves only the
 * leaver's flows (pinning), bad NSP input is refused while traffic goes on, VIPs follow the configuration
 * file, and stopping removes everything the LB made.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { fwmarkRange, registerLbMetrics, startLb, type RunningLb } from '../../../endpoints/lb/index.js';
import { newClient } from '../../../sdk/chains/index.js';
import { fileConfigSource, type ConfigSource } from '../../../sdk/config/index.js';
import { type Connection, Context, defineClient, ipContextOf } from '../../../sdk/core/index.js';
import { GrpcChannelCache, grpcConnect } from '../../../sdk/grpc/index.js';
import { resolveMaglevConfig } from '../../../sdk/maglev/index.js';
import { createMetricsRegistry } from '../../../sdk/metrics/index.js';
import type { NspTarget } from '../../../sdk/services/nsp/index.js';
import { interfaceNameClient } from '../../../sdk/middleware/interface-name/index.js';
import { kernelMechanismClient } from '../../../sdk/middleware/kernel-mechanism/index.js';
import { ip, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import {
  capturingLogger,
  eventually,
  nspTarget,
  startServices,
  type LogLine,
  type Services,
} from './support.js';
import {
  buildLbTopology,
  targetAddresses,
  TCP_PORT,
  VIP4,
  VIP6,
  VIPS,
  type LbTopology,
} from '../lb-shared/topology.js';
import { lbKernelState } from './kernel-state.js';
import { countMarks } from '../lb-datapath/conntrack.js';
import { countByTarget, TopologyAgents, type TcpResult, type TrafficAgent } from '../lb-shared/traffic.js';

const LB_NAME = 'lb-a';
const CONNECTIONS = 60;

skipUnlessRoot('the LB endpoint tests', ['iptables-nft', 'ping'])('meridio lb (in-process runner)', () => {
  const sandbox = useNetnsSandbox('lbin', { scope: 'all' });
  let topology: LbTopology;
  let services: Services;
  let lb: RunningLb;
  let vipSource: ConfigSource;
  let configFile: string;
  let logLines: LogLine[];
  let client: TrafficAgent;
  const agents = new TopologyAgents();
  const channels = new GrpcChannelCache();
  let proxyConnection: Connection | undefined;
  let proxyClient: ReturnType<typeof newClient>;
  let spread: TcpResult[] = [];

  beforeAll(async () => {
    // Targets 1 and 2 are linked to the LB; target 3 only gets there through an NSM connection.
    topology = buildLbTopology(sandbox.name, [true, true, false]);
    services = await startServices('lb-in');
    await agents.start(topology, TCP_PORT);
    client = agents.client;
    configFile = join(services.dir, 'meridio.conf');
    const { logger, lines } = capturingLogger();
    logLines = lines;
    vipSource = fileConfigSource({ path: configFile, logger });
    lb = await startLb({
      name: LB_NAME,
      labels: { trench: 'a' },
      nsm: services.nsm.address,
      listen: `unix://${join(services.dir, 'lb.sock')}`,
      netns: topology.lb,
      nsp: services.nspAddress,
      vips: VIPS,
      vipSource,
      maglev: resolveMaglevConfig(),
      range: fwmarkRange(5000, 100),
      logger,
    });
  }, 60_000);

  afterAll(async () => {
    await agents.stop();
    await lb?.stop();
    await vipSource?.close();
    channels.close();
    await services?.stop();
  });

  async function openBoth(group: string): Promise<TcpResult[]> {
    const results = [
      ...(await client.tcpOpen(`${group}-4`, VIP4, TCP_PORT, CONNECTIONS)),
      ...(await client.tcpOpen(`${group}-6`, VIP6, TCP_PORT, CONNECTIONS)),
    ];
    return results;
  }

  async function pingBoth(group: string): Promise<TcpResult[]> {
    return [...(await client.tcpPing(`${group}-4`)), ...(await client.tcpPing(`${group}-6`))];
  }

  it('registers its endpoint for load-balancer in the NSM registry, with its labels', () => {
    const endpoint = services.nsm.registry.endpoint(LB_NAME);
    expect(endpoint).toEqual(
      expect.objectContaining({
        name: LB_NAME,
        network_service_names: ['load-balancer'],
        url: `unix://${join(services.dir, 'lb.sock')}`,
      }),
    );
    expect(endpoint?.network_service_labels['load-balancer']?.labels).toEqual({ trench: 'a' });
  });

  it('routes each NSP target by fwmark to its table and spreads VIP connections over them, IPv4 and IPv6', async () => {
    await services.nspClient.register(nspTarget(1));
    await services.nspClient.register(nspTarget(2));
    await eventually(() => lb.targets.active().join() === '1,2', 'targets 1 and 2 active');
    const state = lbKernelState(topology.lb);
    expect(state.rules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^-4 1000:\s+from all fwmark 0x1389 lookup 5001$/),
        expect.stringMatching(/^-4 1000:\s+from all fwmark 0x138a lookup 5002$/),
        expect.stringMatching(/^-6 1000:\s+from all fwmark 0x1389 lookup 5001$/),
        expect.stringMatching(/^-6 1000:\s+from all fwmark 0x138a lookup 5002$/),
      ]),
    );
    expect(state.rules).toHaveLength(4);
    expect(state.tableRoutes).toEqual(
      expect.arrayContaining([
        expect.stringContaining('default via 10.1.1.2 dev lt1 table 5001'),
        expect.stringContaining('default via fd00:2::2 dev lt2'),
      ]),
    );
    expect(state.blackholes).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`blackhole ${VIP4}`),
        expect.stringContaining(`blackhole ${VIP6}`),
      ]),
    );

    const opened = await openBoth('spread');
    expect(opened.filter((result) => result.error !== null)).toEqual([]);
    expect(Object.keys(countByTarget(opened)).sort()).toEqual(['t1', 't2']);
    spread = opened;

    // The queue thread's counters, as Prometheus reads them: every first packet was marked for 1 or 2.
    const registry = createMetricsRegistry({ component: 'lb', processMetrics: false });
    registerLbMetrics(registry, {
      targets: () => lb.targets.targets(),
      refusals: () => lb.targets.refusals(),
      appliedVips: () => lb.dataplane.appliedVips(),
      stats: () => lb.dataplane.stats(),
    });
    const text = await registry.metrics();
    const perTarget = [1, 2].map((identifier) =>
      Number(
        new RegExp(
          `meridio_lb_target_packets_total\\{identifier="${identifier}",component="lb"\\} (\\d+)`,
        ).exec(text)?.[1],
      ),
    );
    expect(perTarget.every((count) => count > 0)).toBe(true);
    expect(text).toContain('meridio_lb_targets{state="active",component="lb"} 2');
  });

  it('routes marked VIP packets to their target and drops unmarked ones, never back out of the default route', () => {
    // The LB's default route points back at the client side, as a gateway would be.
    ip(topology.lb, 'route', 'replace', 'default', 'via', '10.0.0.2');
    ip(topology.lb, '-6', 'route', 'replace', 'default', 'via', 'fd00:cc::2');
    try {
      // A forwarded address that is not a VIP goes back out by the default route…
      expect(ip(topology.lb, 'route', 'get', '20.0.0.99', 'from', '10.0.0.2', 'iif', 'lc')).toMatch(
        /via 10\.0\.0\.2 dev lc/,
      );
      // …an unmarked VIP packet meets the blackhole (the kernel answers a lookup that ends in a blackhole
      // with EINVAL)…
      expect(() => ip(topology.lb, 'route', 'get', VIP4, 'from', '10.0.0.2', 'iif', 'lc')).toThrow(
        'Invalid argument',
      );
      expect(() => ip(topology.lb, '-6', 'route', 'get', VIP6, 'from', 'fd00:cc::2', 'iif', 'lc')).toThrow(
        'Invalid argument',
      );
      expect(ip(topology.lb, 'route', 'show', 'exact', `${VIP4}/32`)).toMatch(
        /^blackhole 20\.0\.0\.1 .*metric 4242/,
      );
      expect(ip(topology.lb, '-6', 'route', 'show', 'exact', `${VIP6}/128`)).toMatch(
        /^blackhole 2000::1 .*metric 4242/,
      );
      // …and a marked one goes to its target.
      const marked4 = ip(topology.lb, 'route', 'get', VIP4, 'from', '10.0.0.2', 'iif', 'lc', 'mark', '5001');
      const marked6 = ip(
        topology.lb,
        '-6',
        'route',
        'get',
        VIP6,
        'from',
        'fd00:cc::2',
        'iif',
        'lc',
        'mark',
        '5002',
      );
      expect(marked4).toMatch(/via 10\.1\.1\.2 dev lt1 table 5001/);
      expect(marked6).toMatch(/via fd00:2::2 dev lt2 table 5002/);
    } finally {
      ip(topology.lb, 'route', 'del', 'default');
      ip(topology.lb, '-6', 'route', 'del', 'default');
    }
  });

  it('keeps a target whose subnet is not connected pending, and activates it once a proxy connection brings the subnet', async () => {
    await services.nspClient.register(nspTarget(3));
    const pending = await eventually(
      () =>
        lb.targets
          .targets()
          .find((target) => target.identifier === 3 && /unreachable/.test(target.reason ?? '')),
      'target 3 pending as unreachable',
    );
    expect(pending.state).toBe('pending');
    expect(lb.targets.active()).toEqual([1, 2]);

    // Target 3's namespace plays its proxy: it connects to the LB through NSM and assigns both ends'
    // addresses; the LB's end must keep the address the "proxy" chose.
    const { ips, lb4, lb6 } = targetAddresses(3);
    proxyClient = newClient({
      name: 'proxy-t3',
      connectTo: grpcConnect({ target: services.nsm.address, channels }),
      additional: [
        defineClient('proxyAddresses', {
          request: (ctx, request, next) => {
            const context = ipContextOf(request.connection!);
            context.src_ip_addrs = [...ips];
            context.dst_ip_addrs = [`${lb4}/24`, `${lb6}/64`];
            return next.request(ctx, request);
          },
        }),
        kernelMechanismClient({ netns: topology.targets[2]! }),
        interfaceNameClient({ prefix: 'lb' }),
      ],
    });
    const [ctx, cancel] = Context.background().withTimeout(15_000);
    try {
      proxyConnection = await proxyClient.request(ctx, {
        connection: {
          id: 'proxy-t3-lb-a',
          network_service: 'load-balancer',
          network_service_endpoint_name: LB_NAME,
        },
      });
    } finally {
      cancel();
    }
    const addresses = ip(topology.lb, '-o', 'addr', 'show');
    expect(addresses).toMatch(new RegExp(`proxy-\\S+\\s+inet ${lb4.replace(/\./g, '\\.')}/24`));
    expect(addresses).toMatch(new RegExp(`proxy-\\S+\\s+inet6 ${lb6}/64`));
    topology.routeRepliesOf(3);

    await eventually(() => lb.targets.active().join() === '1,2,3', 'target 3 active after the connection');
    // Pinning: a target joining moves no established connection, although the table gave it entries.
    const again = await pingBoth('spread');
    expect(again.map((result) => result.target)).toEqual(spread.map((result) => result.target));
    const opened = await openBoth('three');
    expect(opened.filter((result) => result.error !== null)).toEqual([]);
    expect(Object.keys(countByTarget(opened)).sort()).toEqual(['t1', 't2', 't3']);
  });

  it('moves only the connections of an unregistered target; the others stay on their targets', async () => {
    const before = await pingBoth('three');
    expect(before.filter((result) => result.error !== null)).toEqual([]);
    const pinned = countMarks(topology.lb);
    expect(pinned.get(5002)).toBeGreaterThan(0);
    await services.nspClient.unregister(nspTarget(2));
    await eventually(() => lb.targets.active().join() === '1,3', 'target 2 deactivated');
    await eventually(
      () => !lbKernelState(topology.lb).rules.some((rule) => rule.includes('lookup 5002')),
      'rule 5002 removed',
    );
    // Its pinned flows were forgotten (before its rule went); the others' entries are untouched.
    const marks = countMarks(topology.lb);
    expect(marks.get(5002)).toBeUndefined();
    expect([marks.get(5001), marks.get(5003)]).toEqual([pinned.get(5001), pinned.get(5003)]);
    expect(lbKernelState(topology.lb).tableRoutes.filter((route) => route.includes('table 5002'))).toEqual(
      [],
    );

    const after = await pingBoth('three');
    const kept = before.filter((result) => result.target !== 't2');
    const keptAfter = after.filter((_, index) => before[index]!.target !== 't2');
    // Every connection to a target that stayed answers from the same target.
    expect(keptAfter.map((result) => result.target)).toEqual(kept.map((result) => result.target));
    // Connections of the leaver were re-hashed to a target that has no such connection: reset.
    const moved = after.filter((_, index) => before[index]!.target === 't2');
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((result) => result.target !== null)).toEqual([]);

    const fresh = await openBoth('after-leave');
    expect(fresh.filter((result) => result.error !== null)).toEqual([]);
    expect(Object.keys(countByTarget(fresh)).sort()).toEqual(['t1', 't3']);
  });

  it('refuses NSP targets with bad or duplicate identifiers, logging each, while traffic goes on', async () => {
    const bad: NspTarget[] = [
      { ips: ['172.16.9.2/24'], context: { identifier: '0' } },
      { ips: ['172.16.9.3/24'], context: { identifier: '101' } },
      { ips: ['172.16.9.4/24'], context: { identifier: 'x' } },
      { ips: ['172.16.9.5/24'], context: {} },
      // The NSP holds identifiers as text, so "01" is not a duplicate there; for the LB it is slot 1.
      { ips: ['172.16.9.6/24'], context: { identifier: '01' } },
    ];
    for (const target of bad) await services.nspClient.register(target);
    await eventually(() => lb.targets.refusals().length === bad.length, 'every bad target refused');
    const refusedLines = logLines.filter((line) => line.msg === 'NSP target refused');
    expect(refusedLines.map((line) => line.reason)).toEqual([
      expect.stringContaining('identifier "0"'),
      expect.stringContaining('identifier "101"'),
      expect.stringContaining('identifier "x"'),
      expect.stringContaining('has no "identifier"'),
      expect.stringContaining(
        'asks for identifier 1, which target 10.1.1.2/24,fd00:1::2/64 (identifier 1) already has',
      ),
    ]);
    expect(refusedLines.every((line) => line.level === 50)).toBe(true);
    expect(lb.targets.active()).toEqual([1, 3]);
    expect(lbKernelState(topology.lb).rules).toHaveLength(4);

    const still = await pingBoth('after-leave');
    expect(still.filter((result) => result.error !== null)).toEqual([]);
    for (const target of bad) await services.nspClient.unregister(target);
    await eventually(() => lb.targets.refusals().length === 0, 'refused targets forgotten');
  });

  it('applies VIPs from the configuration file without a restart and keeps the last valid one on bad input', async () => {
    const chainsFor = (vip: string): string[] =>
      lbKernelState(topology.lb).chains.filter((line) => line.includes(vip));
    writeFileSync(configFile, `vips: [${VIPS.join(', ')}, 30.0.0.1/32]\n`);
    await eventually(() => chainsFor('30.0.0.1/32').length > 0, 'the new VIP in the chains');
    expect(lbKernelState(topology.lb).blackholes).toEqual(
      expect.arrayContaining([expect.stringContaining('blackhole 30.0.0.1')]),
    );

    writeFileSync(configFile, 'vips: [20.0.0.1/32, not-a-vip]\n');
    await eventually(
      () => logLines.some((line) => /not-a-vip/.test(JSON.stringify(line))),
      'the rejection logged',
    );
    expect(chainsFor('30.0.0.1/32').length).toBeGreaterThan(0);
    expect(lb.dataplane.appliedVips()).toEqual([...VIPS, '30.0.0.1/32']);

    writeFileSync(configFile, `vips: [${VIPS.join(', ')}]\n`);
    await eventually(() => chainsFor('30.0.0.1/32').length === 0, 'the removed VIP out of the chains');
    await eventually(
      () => !lbKernelState(topology.lb).blackholes.some((line) => line.includes('30.0.0.1')),
      'the removed VIP blackhole gone',
    );
    const still = await pingBoth('after-leave');
    expect(still.filter((result) => result.error !== null)).toEqual([]);
  });

  it('deactivates a target whose proxy connection goes away (its route went with the link), the others keep their connections', async () => {
    const before = await pingBoth('after-leave');
    const [ctx, cancel] = Context.background().withTimeout(10_000);
    try {
      await proxyClient.close(ctx, proxyConnection!);
    } finally {
      cancel();
    }
    proxyConnection = undefined;
    await eventually(() => lb.targets.active().join() === '1', 'target 3 deactivated');
    expect(lb.targets.targets().find((target) => target.identifier === 3)?.state).toBe('pending');
    const after = await pingBoth('after-leave');
    const onOne = after.filter((_, index) => before[index]!.target === 't1');
    expect(onOne.length).toBeGreaterThan(0);
    expect(onOne.map((result) => result.target)).toEqual(onOne.map(() => 't1'));
  });

  it('stop deactivates and removes every rule, route, chain and blackhole it made, and unregisters', async () => {
    if (proxyConnection !== undefined) {
      const [ctx, cancel] = Context.background().withTimeout(10_000);
      await proxyClient.close(ctx, proxyConnection).finally(cancel);
    }
    expect(await lb.stop()).toBe(0);
    expect(lbKernelState(topology.lb)).toEqual({ rules: [], tableRoutes: [], chains: [], blackholes: [] });
    expect(services.nsm.registry.endpoint(LB_NAME)).toBeUndefined();
  });
});
