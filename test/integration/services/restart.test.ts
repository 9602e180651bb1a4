/**
 * The real `meridio` command in child processes (the build in dist/, see helpers.ts): settings
 * errors, kill -9 and restart of the IPAM and the NSP, graceful stop on SIGTERM.
 */
import { parsePrefix, prefixEnd, type IpPrefix } from '../../../sdk/services/common/index.js';
import { createIpamClient } from '../../../sdk/services/ipam/index.js';
import {
  createNspClient,
  createTargetRegistrar,
  watchTargets,
  type TargetChange,
} from '../../../sdk/services/nsp/index.js';
import { eventually, killSpawned, scratch, serving, spawnMeridio, type MeridioProcess } from './helpers.js';

const quickBackoff = { initialMs: 50, maxMs: 500 };

afterAll(killSpawned);

function disjoint(subnets: readonly IpPrefix[]): boolean {
  const sorted = [...subnets].sort((a, b) => (a.network < b.network ? -1 : 1));
  return sorted.every((subnet, i) => i === 0 || subnet.network > prefixEnd(sorted[i - 1] as IpPrefix));
}

async function killHard(process: MeridioProcess): Promise<void> {
  process.kill('SIGKILL');
  await process.exited;
  expect(process.child.signalCode).toBe('SIGKILL');
}

async function stopGracefully(process: MeridioProcess): Promise<void> {
  process.kill('SIGTERM');
  expect(await process.exited).toBe(0);
}

describe('meridio command line', () => {
  it('lists its subcommands and their settings', async () => {
    const top = spawnMeridio(['--help']);
    expect(await top.exited).toBe(0);
    expect(top.output()).toMatch(/nsp +NSP target registry/);
    const nsp = spawnMeridio(['nsp', '--help']);
    expect(await nsp.exited).toBe(0);
    expect(nsp.output()).toMatch(/--keepalive <duration> +NSM_KEEPALIVE/);
  });

  it('exits with code 2 and one sentence for a bad setting', async () => {
    const bad = spawnMeridio(['ipam'], { NSM_LISTEN: 'localhost' });
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toBe(
      'Setting listen (--listen / NSM_LISTEN) has an invalid value "localhost" (from NSM_LISTEN): expected host:port, [ipv6]:port or unix:///absolute/path.\n',
    );
  });
});

describe('meridio ipam, killed with SIGKILL and restarted', () => {
  const dirs = scratch('ipam-restart');
  afterAll(() => dirs.remove());

  it('keeps every allocation, hands out no subnet twice and gives owners their subnet again', async () => {
    const listen = dirs.socket('ipam.sock');
    const args = ['ipam', '--listen', listen, '--db', dirs.path('ipam.db'), '--log-level', 'warn'];
    const first = spawnMeridio(args);
    await serving(first, listen);
    const client = createIpamClient({ address: listen, backoff: quickBackoff });
    try {
      const owned = {
        v4: await client.allocate({ pool: '172.16.0.0/16', prefixLength: 24, owner: 'worker-1' }),
        v6: await client.allocate({ pool: 'fd00::/48', prefixLength: 64, owner: 'worker-1' }),
      };
      const before = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client.allocate(
            i % 2 ? { pool: '172.16.0.0/16', prefixLength: 24 } : { pool: 'fd00::/48', prefixLength: 64 },
          ),
        ),
      );

      const second = spawnMeridio(args);
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(
        `meridio ipam: the IPAM database at ${dirs.path('ipam.db')} is in use by another process`,
      );

      await killHard(first);
      const restarted = spawnMeridio(args);
      await serving(restarted, listen);
      expect(await client.allocate({ pool: '172.16.0.0/16', prefixLength: 24, owner: 'worker-1' })).toBe(
        owned.v4,
      );
      expect(await client.allocate({ pool: 'fd00::/48', prefixLength: 64, owner: 'worker-1' })).toBe(
        owned.v6,
      );
      const after = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client.allocate(
            i % 2 ? { pool: '172.16.0.0/16', prefixLength: 24 } : { pool: 'fd00::/48', prefixLength: 64 },
          ),
        ),
      );
      const all = [owned.v4, owned.v6, ...before, ...after].map((cidr) => parsePrefix(cidr));
      expect(new Set(all.map((subnet) => `${subnet.family}`))).toEqual(new Set(['4', '6']));
      expect(disjoint(all.filter((subnet) => subnet.family === 4))).toBe(true);
      expect(disjoint(all.filter((subnet) => subnet.family === 6))).toBe(true);
      await stopGracefully(restarted);
    } finally {
      client.close();
    }
  });
});

describe('meridio nsp, killed with SIGKILL and restarted', () => {
  const dirs = scratch('nsp-restart');
  afterAll(() => dirs.remove());

  it('keeps its view and expiry clocks, and a watcher emits no removal', async () => {
    const KEEPALIVE = 12_000;
    const listen = dirs.socket('nsp.sock');
    const args = [
      'nsp',
      '--listen',
      listen,
      '--db',
      dirs.path('nsp.db'),
      '--keepalive',
      '12s',
      '--log-level',
      'warn',
    ];
    const first = spawnMeridio(args);
    await serving(first, listen);
    const client = createNspClient({ address: listen, backoff: quickBackoff });
    const registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE });
    const watcher = watchTargets(createNspClient({ address: listen, backoff: quickBackoff }));
    const changes: TargetChange[] = [];
    const collecting = (async () => {
      for await (const change of watcher) changes.push(change);
    })();
    try {
      for (let n = 1; n <= 20; n++) {
        await registrar.register({
          ips: [`172.16.0.${n}/24`, `fd00::${n}/64`],
          context: { identifier: String(n) },
        });
      }
      // Registered once and never again: it must expire, also across the restart.
      await client.register({ ips: ['172.16.0.99/24'], context: { identifier: '99' } });
      await watcher.synced;
      await eventually(() => changes.length === 21, 'the watcher has all 21 targets');
      expect(changes.every((change) => change.kind === 'added')).toBe(true);

      await killHard(first);
      const restarted = spawnMeridio(args);
      await serving(restarted, listen);
      expect(
        (await client.getTargets({ waitForReady: true }))
          .map((target) => target.context['identifier'])
          .sort(),
      ).toEqual([...Array.from({ length: 20 }, (_, i) => String(i + 1)), '99'].sort());
      await eventually(() => watcher.syncs >= 2, 'the watcher resynced with the restarted NSP');
      expect(changes.slice(21)).toEqual([]);
      expect(watcher.targets()).toHaveLength(21);

      await eventually(
        () => changes.some((change) => change.kind === 'removed'),
        'the unrefreshed target expires',
        3 * KEEPALIVE,
      );
      expect(
        changes.slice(21).map((change) => `${change.kind} ${change.target.context['identifier']}`),
      ).toEqual(['removed 99']);
      expect(await client.getTargets()).toHaveLength(20);
      await stopGracefully(restarted);
    } finally {
      registrar.close();
      watcher.close();
      await collecting;
      client.close();
    }
  });
});
