/**
 * The external side of a local instance in real namespaces: the external host reaches the gateway and,
 * through it, each LB; the gateway's VIP routes follow the VIPs and the usable LBs, multipath in LB
 * name order, and touch nothing else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseCidr } from '../../../sdk/config/index.js';
import {
  lbPlan,
  LocalNetwork,
  LocalUsageError,
  readRecordedNamespaces,
  reconcileGatewayRoutes,
  ResourceRecord,
} from '../../../endpoints/local/index.js';
import { ip, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

function pings(namespace: string, address: string): boolean {
  return spawnSync('ip', ['netns', 'exec', namespace, 'ping', '-c', '1', '-W', '2', address]).status === 0;
}

skipUnlessRoot('the local network tests', ['ping'])('meridio local network', () => {
  const sandbox = useNetnsSandbox('lnet', { scope: 'all' });
  let dir: string;
  let network: LocalNetwork;
  let record: ResourceRecord;
  const vip4 = parseCidr('20.0.0.1/32');
  const vip6 = parseCidr('2000::1/128');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'local-network-'));
    record = new ResourceRecord(join(dir, 'resources.json'));
    network = new LocalNetwork(sandbox.kernel, record);
    await network.createExternalSide(sandbox.name('ext'), sandbox.name('gw'));
    for (const index of [1, 2]) {
      const plan = { ...lbPlan('x', index), namespace: sandbox.name(`lb${index}`) };
      await network.createLbNamespace(sandbox.name('gw'), plan);
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lbs = [1, 2].map((index) => ({ ...lbPlan('x', index), namespace: '' }));

  test('records every namespace before making it, and refuses one that exists', async () => {
    expect(readRecordedNamespaces(join(dir, 'resources.json')).sort()).toEqual(
      ['ext', 'gw', 'lb1', 'lb2'].map((suffix) => sandbox.name(suffix)).sort(),
    );
    await expect(network.createNamespace(sandbox.name('gw'), 'gateway')).rejects.toThrow(LocalUsageError);
  });

  test('the external host reaches every LB through the gateway, in both families', () => {
    for (const address of ['10.10.0.11', '10.10.0.12', 'fd10:10::11', 'fd10:10::12']) {
      expect(pings(sandbox.name('ext'), address)).toBe(true);
    }
    expect(pings(sandbox.name('lb1'), '10.20.0.2')).toBe(true);
    const gw = sandbox.name('gw');
    expect(
      spawnSync('ip', ['netns', 'exec', gw, 'sysctl', '-n', 'net.ipv4.fib_multipath_hash_policy'], {
        encoding: 'utf8',
      }).stdout.trim(),
    ).toBe('3');
    expect(ip(gw, 'link', 'show', 'lb-1')).toContain('master lbnet');
  });

  test('VIP routes: multipath over the usable LBs in name order, single path, removal; nothing else touched', async () => {
    const gw = sandbox.kernel.netns(sandbox.name('gw'));
    const connected = ip(sandbox.name('gw'), 'route', 'show', 'proto', 'kernel');
    const reversed = [lbs[1]!, lbs[0]!];
    expect(await reconcileGatewayRoutes(gw, [vip4, vip6], reversed)).toEqual([
      { vip: '20.0.0.1/32', via: ['10.10.0.11', '10.10.0.12'] },
      { vip: '2000::1/128', via: ['fd10:10::11', 'fd10:10::12'] },
    ]);
    expect(ip(sandbox.name('gw'), 'route', 'show', '20.0.0.1')).toMatch(
      /nexthop via 10\.10\.0\.11 dev lbnet[^]*nexthop via 10\.10\.0\.12 dev lbnet/,
    );
    expect(ip(sandbox.name('gw'), '-6', 'route', 'show', '2000::1')).toMatch(/fd10:10::11[^]*fd10:10::12/);
    expect(await reconcileGatewayRoutes(gw, [vip4, vip6], lbs)).toEqual([]);
    expect(await reconcileGatewayRoutes(gw, [vip4, vip6], [lbs[1]!])).toEqual([
      { vip: '20.0.0.1/32', via: ['10.10.0.12'] },
      { vip: '2000::1/128', via: ['fd10:10::12'] },
    ]);
    expect(ip(sandbox.name('gw'), 'route', 'show', '20.0.0.1').trim()).toBe(
      '20.0.0.1 via 10.10.0.12 dev lbnet proto static',
    );
    expect(await reconcileGatewayRoutes(gw, [vip6], [])).toEqual([
      { vip: '20.0.0.1/32', via: [] },
      { vip: '2000::1/128', via: [] },
    ]);
    expect(ip(sandbox.name('gw'), 'route', 'show', 'proto', 'static').trim()).toBe('');
    expect(ip(sandbox.name('gw'), '-6', 'route', 'show', 'proto', 'static').trim()).toBe('');
    expect(ip(sandbox.name('gw'), 'route', 'show', 'proto', 'kernel')).toBe(connected);
  });

  test('deleting the namespaces forgets them', () => {
    for (const suffix of ['lb1', 'lb2', 'gw', 'ext'])
      expect(network.deleteNamespace(sandbox.name(suffix))).toBe(true);
    expect(readRecordedNamespaces(join(dir, 'resources.json'))).toEqual([]);
    expect(network.deleteNamespace(sandbox.name('gw'))).toBe(false);
  });
});
