/**
 * `meridio local` end to end, on one instance (2 LBs, 2 proxies, 4 targets): the status contract,
 * distribution over every target in both families with nothing lost, both LBs used by the gateway
 * and a flow reaching the same target through either, VIPs added and removed at run time, `up` twice,
 * and `down` leaving nothing behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { analyzeHosts, type Statistics } from '../../clients/ctraffic/index.js';
import { instanceProcesses, type LocalStatus } from '../../endpoints/local/index.js';
import { flowsFrom } from './flows.js';
import {
  bringUp,
  describeE2e,
  gatewayTxPackets,
  namespacesWithPrefix,
  newInstance,
  requireBuild,
  settle,
  VIP4,
  VIP6,
  type LocalInstance,
  warningsSince,
} from './local-instance.js';

function iptablesSave(): string {
  return ['iptables-save', 'ip6tables-save']
    .map((command) =>
      spawnSync(command, { encoding: 'utf8' })
        .stdout.replace(/^#.*$/gm, '')
        .replace(/\[\d+:\d+\]/g, ''),
    )
    .join('');
}

function rootLinks(): Set<string> {
  return new Set(readdirSync('/sys/class/net'));
}

function ip(namespace: string, ...args: string[]): string {
  const result = spawnSync('ip', ['-n', namespace, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip -n ${namespace} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function expectEveryTargetAndNothingLost(
  instance: LocalInstance,
  stats: Statistics,
  targets: readonly string[],
  minimum: number,
): void {
  const analysis = analyzeHosts(stats);
  const failures = (stats.ConnStats ?? []).filter((c) => c.Err !== '').slice(0, 5);
  if (failures.length > 0) {
    const warnings = warningsSince(instance, Date.parse(stats.Started) - 5000, 400);
    console.warn(
      `warnings and errors logged around the lost connections:\n${warnings.join('\n') || '(none)'}`,
    );
  }
  // One comparison, so a failure shows the whole picture.
  expect({
    enough: (stats.ConnStats?.length ?? 0) >= minimum,
    hosts: Object.keys(analysis.lasting).sort(),
    lost: analysis.lost,
    unanswered: analysis.unanswered,
    failedConnects: stats.FailedConnects,
    failedConnections: stats.FailedConnections,
    failures,
  }).toEqual({
    enough: true,
    hosts: [...targets].sort(),
    lost: {},
    unanswered: 0,
    failedConnects: 0,
    failedConnections: 0,
    failures: [],
  });
}

describeE2e('meridio local end-to-end tests')('meridio local: traffic, LBs, VIPs, down', () => {
  let instance: LocalInstance;
  let status: LocalStatus;
  let iptablesBefore: string;
  let linksBefore: Set<string>;

  beforeAll(async () => {
    requireBuild();
    iptablesBefore = iptablesSave();
    linksBefore = rootLinks();
    instance = newInstance('e2et');
    const ms = await bringUp(instance);
    console.log(`meridio local up (2 LBs, 2 proxies, 4 targets) took ${(ms / 1000).toFixed(1)} s`);
    status = await instance.status();
  }, 300_000);

  afterAll(async () => {
    if (instance !== undefined && existsSync(instance.stateDir)) await settle(() => instance.down());
  }, 120_000);

  const targetNames = (): string[] => status.targets.map((target) => target.name);

  test('status --json has the shape of the contract, every process healthy', () => {
    expect(status.vips).toEqual(['20.0.0.1/32', '2000::1/128']);
    expect(status.external).toEqual({
      namespace: `${instance.prefix}-ext`,
      ips: ['10.20.0.2', 'fd10:20::2'],
    });
    expect(status.gateway).toEqual({ namespace: `${instance.prefix}-gw` });
    expect(status.lbs.map((lb) => [lb.name, lb.namespace, lb.healthy])).toEqual([
      ['lb-1', `${instance.prefix}-lb-1`, true],
      ['lb-2', `${instance.prefix}-lb-2`, true],
    ]);
    expect(status.proxies.map((p) => [p.name, p.namespace, p.node, p.subnets.length, p.healthy])).toEqual([
      ['proxy-1', `${instance.prefix}-proxy-1`, 'node-1', 2, true],
      ['proxy-2', `${instance.prefix}-proxy-2`, 'node-2', 2, true],
    ]);
    expect(status.targets).toHaveLength(4);
    const identifiers = new Set<number>();
    for (const target of status.targets) {
      expect(Object.keys(target)).toEqual(
        expect.arrayContaining(['name', 'namespace', 'node', 'identifier', 'ips', 'healthy']),
      );
      expect(target.healthy).toBe(true);
      expect(target.identifier).toEqual(expect.any(Number));
      identifiers.add(target.identifier!);
      expect(target.ips).toHaveLength(2);
      // Every target's addresses come from its node's proxy's subnets.
      const proxy = status.proxies.find((p) => p.node === target.node)!;
      const v4Subnet = proxy.subnets
        .find((s) => !s.includes(':'))!
        .split('.')
        .slice(0, 3)
        .join('.');
      expect(target.ips[0]!.startsWith(`${v4Subnet}.`)).toBe(true);
    }
    expect(identifiers.size).toBe(4);
    expect(status.targets.map((t) => t.node)).toEqual(['node-1', 'node-2', 'node-1', 'node-2']);
  });

  test('up twice is refused with a clear message', async () => {
    const again = await instance.local('up', '--prefix', instance.prefix);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/Meridio local is already up in .* \(supervisor pid \d+\)/);
  }, 30_000);

  test('1,000 connections per VIP family reach every target, none lost', async () => {
    // 100 long-lived connections and 250 new ones per second for about 5 s, one family after the other:
    // over 1,000 connections each, without a burst that would measure the client's event loop on a busy
    // 2-core machine more than the system.
    const load = { nconn: 100, newConnRate: 250, connLifetimeMs: 1000, durationMs: 6000 };
    const v4 = await instance.ctraffic({ address: VIP4, ...load });
    const v6 = await instance.ctraffic({ address: VIP6, ...load });
    for (const [family, stats] of [
      ['IPv4', v4],
      ['IPv6', v6],
    ] as const) {
      console.log(`${family}: connections per target ${JSON.stringify(analyzeHosts(stats).lasting)}`);
      expectEveryTargetAndNothingLost(instance, stats, targetNames(), 1000);
    }
  }, 90_000);

  test('the gateway uses both LBs, and a flow reaches the same target through either', async () => {
    const before = gatewayTxPackets(instance.prefix, ['lb-1', 'lb-2']);
    const stats = await instance.ctraffic({ address: VIP4, nconn: 200, durationMs: 3000 });
    expectEveryTargetAndNothingLost(instance, stats, targetNames(), 200);
    const after = gatewayTxPackets(instance.prefix, ['lb-1', 'lb-2']);
    const sent = { 'lb-1': after['lb-1']! - before['lb-1']!, 'lb-2': after['lb-2']! - before['lb-2']! };
    console.log(`packets from the gateway per LB: ${JSON.stringify(sent)}`);
    const total = sent['lb-1'] + sent['lb-2'];
    expect(sent['lb-1']).toBeGreaterThan(total * 0.2);
    expect(sent['lb-2']).toBeGreaterThan(total * 0.2);

    // The same five-tuples, first forced through lb-1, then through lb-2 (a policy rule on the
    // source ports, ahead of the gateway's multipath route).
    const gw = `${instance.prefix}-gw`;
    const ext = `${instance.prefix}-ext`;
    const lbIps = Object.fromEntries(status.lbs.map((lb) => [lb.name, lb.gatewayIps]));
    const through = async (lb: string): Promise<[Record<string, string>, Record<string, string>]> => {
      ip(gw, '-4', 'route', 'replace', '20.0.0.1/32', 'via', lbIps[lb]![0]!, 'table', '101');
      ip(gw, '-6', 'route', 'replace', '2000::1/128', 'via', lbIps[lb]![1]!, 'table', '101');
      return Promise.all([
        flowsFrom(ext, '20.0.0.1', 5000, 21000, 60),
        flowsFrom(ext, '2000::1', 5000, 21100, 60),
      ]);
    };
    for (const family of ['-4', '-6']) {
      ip(
        gw,
        family,
        'rule',
        'add',
        'priority',
        '100',
        'ipproto',
        'tcp',
        'sport',
        '21000-21199',
        'table',
        '101',
      );
    }
    try {
      const [viaLb1v4, viaLb1v6] = await through('lb-1');
      const [viaLb2v4, viaLb2v6] = await through('lb-2');
      for (const [first, second] of [
        [viaLb1v4, viaLb2v4],
        [viaLb1v6, viaLb2v6],
      ] as const) {
        expect(Object.values(first).every((host) => targetNames().includes(host))).toBe(true);
        expect(new Set(Object.values(first)).size).toBeGreaterThan(1);
        expect(second).toEqual(first);
      }
    } finally {
      for (const family of ['-4', '-6']) {
        spawnSync('ip', ['-n', gw, family, 'rule', 'del', 'priority', '100']);
        spawnSync('ip', ['-n', gw, family, 'route', 'flush', 'table', '101']);
      }
    }
  }, 90_000);

  test('vip add routes the VIP at the gateway and every target answers on it; vip remove takes it away', async () => {
    const add = await instance.local('vip', 'add', '30.0.0.1/32', '--wait', '--timeout', '60s');
    expect(add.code).toBe(0);
    const gw = `${instance.prefix}-gw`;
    expect(ip(gw, 'route', 'show', '30.0.0.1')).toMatch(
      /nexthop via 10\.10\.0\.11[^]*nexthop via 10\.10\.0\.12/,
    );
    const stats = await instance.ctraffic({ address: '30.0.0.1:5000', nconn: 100, durationMs: 2500 });
    expectEveryTargetAndNothingLost(instance, stats, targetNames(), 100);
    expect((await instance.status()).vips).toEqual(['20.0.0.1/32', '2000::1/128', '30.0.0.1/32']);

    const twice = await instance.local('vip', 'add', '30.0.0.1/32');
    expect(twice.stdout).toContain('already configured');
    const bad = await instance.local('vip', 'add', '30.0.0.1/24');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('host bits are set');
    const reserved = await instance.local('vip', 'add', '10.10.0.0/16');
    expect(reserved.stderr).toContain('overlaps 10.10.0.0/24');

    const remove = await instance.local('vip', 'remove', '30.0.0.1/32', '--wait', '--timeout', '60s');
    expect(remove.code).toBe(0);
    expect(ip(gw, 'route', 'show', '30.0.0.1').trim()).toBe('');
    const lbRules = spawnSync(
      'ip',
      ['netns', 'exec', `${instance.prefix}-lb-1`, 'iptables-save', '-t', 'mangle'],
      {
        encoding: 'utf8',
      },
    ).stdout;
    expect(lbRules).not.toContain('30.0.0.1');
    for (const target of status.targets)
      expect(ip(target.namespace, 'addr', 'show', 'dev', 'lo')).not.toContain('30.0.0.1');
  }, 120_000);

  test('down removes every namespace, process, rule and file; down again says there is nothing', async () => {
    const down = await instance.down();
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/Meridio local is down: \d+ namespaces and every process removed/);
    expect(namespacesWithPrefix(instance.prefix)).toEqual([]);
    expect(instanceProcesses(instance.stateDir)).toEqual([]);
    expect(existsSync(instance.stateDir)).toBe(false);
    expect(readdirSync(dirname(instance.stateDir))).toEqual([]);
    expect(iptablesSave()).toBe(iptablesBefore);
    const ours = /^(ext0|lbnet|lb-\d+|bridge0|nsm.*)$/;
    expect([...rootLinks()].filter((link) => !linksBefore.has(link) && ours.test(link))).toEqual([]);
    const again = await instance.down();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to take down');
  }, 90_000);
});
