/**
 * Targets scaled at run time under a churning client (`meridio local scale` 4 → 6 → 3 while ctraffic
 * opens ≥ 50 new connections per second to each VIP family): a new target gets new connections within
 * 2 s of its registration at the NSP, and — checked connection by connection — only the removed
 * targets' own connections are lost.
 */
import { spawnSync } from 'node:child_process';

import type { ConnStats, Statistics } from '../../clients/ctraffic/index.js';
import { connectionsHeldAtStop, type LocalStatus } from '../../endpoints/local/index.js';
import { createNspClient } from '../../sdk/services/nsp/index.js';
import {
  bringUp,
  describeE2e,
  newInstance,
  requireBuild,
  settle,
  VIP4,
  VIP6,
  type LocalInstance,
  warningsSince,
} from './local-instance.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const bare = (ip: string): string => ip.split('/')[0]!;

/** When each target (by its addresses) first appeared at the NSP, polled every 50 ms. */
function watchRegistrations(socket: string): { firstSeen: Map<string, number>; stop(): void } {
  const nsp = createNspClient({ address: `unix://${socket}` });
  const firstSeen = new Map<string, number>();
  let running = true;
  void (async () => {
    while (running) {
      try {
        for (const target of await nsp.getTargets({ timeoutMs: 1000 })) {
          for (const ip of target.ips) if (!firstSeen.has(bare(ip))) firstSeen.set(bare(ip), Date.now());
        }
      } catch {
        // A slow answer: the next poll catches up.
      }
      await pause(50);
    }
    nsp.close();
  })();
  return { firstSeen, stop: () => (running = false) };
}

/**
 * What to look at when a surviving target lost connections: an LB pins a flow in conntrack only when
 * it sees both directions, which needs the proxies' return multipath to pick the LB the gateway picked
 * (same symmetric hash policy, LBs in the same order; decision 011).
 */
function asymmetryHint(prefix: string): string {
  const policy = (namespace: string): string =>
    spawnSync('ip', ['netns', 'exec', namespace, 'sysctl', '-n', 'net.ipv4.fib_multipath_hash_policy'], {
      encoding: 'utf8',
    }).stdout.trim();
  return (
    `Connections to surviving targets were lost or unanswered. Multipath hash policy: gateway ${policy(`${prefix}-gw`)}, ` +
    `proxy-1 ${policy(`${prefix}-proxy-1`)}, proxy-2 ${policy(`${prefix}-proxy-2`)} (3 with fields 0x37 everywhere ` +
    'and the LBs in name order keep each flow on one LB in both directions; see decision 011).'
  );
}

function startedAt(stats: Statistics, connection: ConnStats): number {
  return Date.parse(stats.Started) + connection.Started / 1e6;
}

describeE2e('meridio local end-to-end tests')('meridio local: runtime scaling under churn', () => {
  let instance: LocalInstance;

  beforeAll(async () => {
    requireBuild();
    instance = newInstance('e2es');
    await bringUp(instance, { targets: 4 });
  }, 300_000);

  afterAll(async () => {
    if (instance !== undefined) await settle(() => instance.down());
  }, 120_000);

  test('4 → 6 → 3 targets: new targets take new flows at once; only the removed targets lose connections', async () => {
    const registrations = watchRegistrations(`${instance.stateDir}/sockets/nsp.sock`);
    const stop = new AbortController();
    const churn = {
      nconn: 20,
      newConnRate: 60,
      connLifetimeMs: 1000,
      durationMs: 120_000,
      signal: stop.signal,
    };
    const clients = Promise.all([
      instance.ctraffic({ address: VIP4, ...churn }),
      instance.ctraffic({ address: VIP6, ...churn }),
    ]);
    let grown: LocalStatus;
    let final: LocalStatus;
    try {
      await pause(4000);
      const up = await instance.local('scale', '--targets', '6');
      expect(up.code).toBe(0);
      grown = await instance.status();
      await pause(4000);
      const down = await instance.local('scale', '--targets', '3');
      expect(down.code).toBe(0);
      final = await instance.status();
      await pause(4000);
    } finally {
      stop.abort();
      registrations.stop();
    }
    const reports = await clients;
    expect(grown.targets.map((t) => t.name)).toEqual([
      'target-1',
      'target-2',
      'target-3',
      'target-4',
      'target-5',
      'target-6',
    ]);
    expect(final.targets.map((t) => t.name)).toEqual(['target-1', 'target-2', 'target-3']);
    const removed = new Set(['target-4', 'target-5', 'target-6']);
    const heldByRemoved = connectionsHeldAtStop(instance.stateDir, removed);

    for (const [family, stats] of [
      ['IPv4', reports[0]],
      ['IPv6', reports[1]],
    ] as const) {
      // A connection that never heard its host is credited to the removed target whose server held it.
      const connections = (stats.ConnStats ?? []).map((c) =>
        (c.Host ?? '') === '' && heldByRemoved.has(c.Local) ? { ...c, Host: heldByRemoved.get(c.Local) } : c,
      );
      const seconds = stats.Duration / 1e9;
      const rate = (connections.length - churn.nconn) / (seconds - 1);
      const perHost: Record<string, { lasting: number; lost: number }> = {};
      for (const c of connections) {
        const host = c.Host ?? '(none)';
        perHost[host] ??= { lasting: 0, lost: 0 };
        perHost[host][c.Err === '' ? 'lasting' : 'lost']++;
      }
      // A new target's first connection, measured from its first appearance at the NSP.
      const joins = ['target-5', 'target-6'].map((name) => {
        const target = grown.targets.find((t) => t.name === name)!;
        const registered = Math.min(...target.ips.map((ip) => registrations.firstSeen.get(ip) ?? Infinity));
        const first = Math.min(...connections.filter((c) => c.Host === name).map((c) => startedAt(stats, c)));
        return { name, ms: Math.round(first - registered) };
      });
      console.log(
        `${family}: ${connections.length} connections (${rate.toFixed(0)} new/s); per target ${JSON.stringify(perHost)}; ` +
          `registration → first new connection: ${joins.map((j) => `${j.name} ${j.ms} ms`).join(', ')}`,
      );
      expect(rate).toBeGreaterThanOrEqual(50);
      for (const join of joins) {
        expect(Number.isFinite(join.ms)).toBe(true);
        expect(join.ms).toBeLessThanOrEqual(2000);
      }
      // Per connection: every one that sent reached a target (a connection the end of the run cut before
      // its first packet has nothing to show), and a lost one belonged to a removed target.
      const unanswered = connections.filter(
        (c) => (c.Host === undefined || c.Host === '') && (c.Err !== '' || c.Sent > 0),
      );
      const lostElsewhere = connections.filter((c) => c.Err !== '' && !removed.has(c.Host ?? ''));
      if (unanswered.length + lostElsewhere.length > 0) {
        console.warn(asymmetryHint(instance.prefix));
        const warnings = warningsSince(instance, Date.parse(stats.Started), 400);
        console.warn(`warnings and errors logged during the run:\n${warnings.join('\n') || '(none)'}`);
      }
      expect(unanswered).toEqual([]);
      expect(lostElsewhere).toEqual([]);
      expect(stats.FailedConnects).toBe(0);
    }
  }, 240_000);
});
