/**
 * Runtime configuration in local mode (issue 7): an IPv6 VIP added and removed without restarting any
 * component, and an invalid configuration file that leaves traffic to the existing VIPs untouched.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { analyzeHosts } from '../../clients/ctraffic/index.js';
import type { LocalStatus } from '../../endpoints/local/index.js';
import {
  bringUp,
  describeE2e,
  type LocalInstance,
  newInstance,
  requireBuild,
  settle,
} from './local-instance.js';

const CONFIG_FILE = 'meridio.conf';

/** Every component's pid, by name: equal before and after means nothing restarted. */
function pids(status: LocalStatus): Record<string, number | undefined> {
  const all = [...status.lbs, ...status.proxies, ...status.targets] as { name: string; pid?: number }[];
  return Object.fromEntries(all.map((component) => [component.name, component.pid]));
}

function ip(namespace: string, ...args: string[]): string {
  return spawnSync('ip', ['-n', namespace, ...args], { encoding: 'utf8' }).stdout;
}

/** Replaces the watched file in one step, as an editor or a ConfigMap volume does. */
function replaceConfig(stateDir: string, content: string): void {
  const path = join(stateDir, CONFIG_FILE);
  const next = join(dirname(path), `.${CONFIG_FILE}.next`);
  writeFileSync(next, content);
  renameSync(next, path);
}

describeE2e('meridio local end-to-end tests')('meridio local: VIPs changed at run time', () => {
  let instance: LocalInstance;
  let before: LocalStatus;

  beforeAll(async () => {
    requireBuild();
    instance = newInstance('e2ec');
    await bringUp(instance, { lbs: 1, proxies: 1, targets: 2 });
    before = await instance.status();
  }, 300_000);

  afterAll(async () => {
    if (instance !== undefined && existsSync(instance.stateDir)) await settle(() => instance.down());
  }, 120_000);

  test('vip add 3000::1/128 is answered by every target, vip remove takes it off everywhere; no restart', async () => {
    expect((await instance.local('vip', 'add', '3000::1/128', '--wait', '--timeout', '60s')).code).toBe(0);
    const stats = await instance.ctraffic({ address: '[3000::1]:5000', nconn: 40, durationMs: 2500 });
    const hosts = analyzeHosts(stats);
    expect(Object.keys(hosts.lasting).sort()).toEqual(before.targets.map((t) => t.name).sort());
    expect(hosts.lostTotal).toBe(0);

    expect((await instance.local('vip', 'remove', '3000::1/128', '--wait', '--timeout', '60s')).code).toBe(0);
    for (const target of before.targets)
      expect(ip(target.namespace, 'addr', 'show', 'dev', 'lo')).not.toContain('3000::1/');
    for (const proxy of before.proxies)
      expect(ip(proxy.namespace, '-6', 'rule', 'show')).not.toMatch(/from 3000::1 /);
    for (const lb of before.lbs) {
      const rules = spawnSync('ip', ['netns', 'exec', lb.namespace, 'ip6tables-save', '-t', 'mangle'], {
        encoding: 'utf8',
      });
      expect(rules.stdout).not.toContain('3000::1/128');
    }
    expect(pids(await instance.status())).toEqual(pids(before));
  }, 180_000);

  test('an invalid configuration is rejected as a whole while traffic to the existing VIPs goes on', async () => {
    const valid = readFileSync(join(instance.stateDir, CONFIG_FILE), 'utf8');
    const traffic = instance.ctraffic({ address: '20.0.0.1:5000', nconn: 20, durationMs: 6000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    replaceConfig(instance.stateDir, 'vips: [20.0.0.0/8, 20.0.0.1/32, 20.0.0.1/32]\n');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const during = await instance.status();
    replaceConfig(instance.stateDir, valid);
    const hosts = analyzeHosts(await traffic);
    expect(hosts.lostTotal).toBe(0);
    expect(Object.keys(hosts.lasting).sort()).toEqual(before.targets.map((t) => t.name).sort());
    expect(during.vips).toEqual(before.vips);
    for (const target of before.targets)
      expect(ip(target.namespace, 'addr', 'show', 'dev', 'lo')).toContain('20.0.0.1/32');
    expect(pids(await instance.status())).toEqual(pids(before));
  }, 120_000);
});
