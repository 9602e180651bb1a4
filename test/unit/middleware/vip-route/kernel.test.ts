import { VipRouting } from '../../../../sdk/middleware/vip-route/index.js';
import { ip, ipJson, skipUnlessRoot, useNetnsSandbox } from '../../../helpers/netns.js';

interface JsonRule {
  priority: number;
  src?: string;
  srclen?: number;
  table: string;
}

interface JsonRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  nexthops?: { gateway: string; dev: string }[];
}

function gatewaysOf(routes: JsonRoute[]): string[] {
  return routes
    .filter((route) => route.dst === 'default')
    .flatMap((route) => route.nexthops ?? [{ gateway: route.gateway!, dev: route.dev! }])
    .map((hop) => `${hop.gateway} dev ${hop.dev}`)
    .sort();
}

function vipRules(netns: string, family: '-4' | '-6'): string[] {
  return (
    ipJson<JsonRule[]>(netns, family, 'rule', 'show')
      .filter((rule) => rule.table === '4096')
      // iproute2 leaves out the length of a host prefix.
      .map((rule) => `${rule.priority} from ${rule.src}${rule.srclen === undefined ? '' : `/${rule.srclen}`}`)
  );
}

skipUnlessRoot('VIP source routing against the kernel')('VipRouting in a network namespace', () => {
  const namespaces = useNetnsSandbox('vipr');

  async function proxyNamespace(): Promise<{ name: string; routing: () => VipRouting }> {
    const info = namespaces.create('proxy');
    const netns = namespaces.kernel.netns(info.name);
    for (const key of ['net.ipv4.conf.all.forwarding', 'net.ipv6.conf.all.forwarding'])
      netns.sysctl.set(key, 1);
    for (const key of ['net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter'])
      netns.sysctl.set(key, 0);
    await netns.links.createBridge('bridge0', { up: true });
    await netns.addresses.add('bridge0', '172.16.3.1/24');
    await netns.addresses.add('bridge0', 'fd00:0:0:3::1/64', { nodad: true });
    return { name: info.name, routing: () => new VipRouting({ netns }) };
  }

  it('routes VIP-sourced traffic over every LB (multipath), follows changes and removes all it made', async () => {
    const proxy = await proxyNamespace();
    const routing = proxy.routing();
    await routing.setVips(['20.0.0.1/32', '2000::1/128']);
    await routing.setNexthops('lb-a', [
      { gateway: '172.16.3.5', device: 'bridge0' },
      { gateway: 'fd00:0:0:3::5', device: 'bridge0' },
    ]);
    await routing.setNexthops('lb-b', [
      { gateway: '172.16.3.9', device: 'bridge0' },
      { gateway: 'fd00:0:0:3::9', device: 'bridge0' },
    ]);
    expect(vipRules(proxy.name, '-4')).toEqual(['100 from 20.0.0.1']);
    expect(vipRules(proxy.name, '-6')).toEqual(['100 from 2000::1']);
    expect(gatewaysOf(ipJson<JsonRoute[]>(proxy.name, '-4', 'route', 'show', 'table', '4096'))).toEqual([
      '172.16.3.5 dev bridge0',
      '172.16.3.9 dev bridge0',
    ]);
    expect(gatewaysOf(ipJson<JsonRoute[]>(proxy.name, '-6', 'route', 'show', 'table', '4096'))).toEqual([
      'fd00:0:0:3::5 dev bridge0',
      'fd00:0:0:3::9 dev bridge0',
    ]);
    // What a target's reply from the VIP, arriving on the bridge, is routed by.
    const lookup = ip(proxy.name, 'route', 'get', '10.99.0.1', 'from', '20.0.0.1', 'iif', 'bridge0');
    expect(lookup).toMatch(/via 172\.16\.3\.(5|9) dev bridge0 table 4096/);

    await routing.removeNexthops('lb-a');
    expect(gatewaysOf(ipJson<JsonRoute[]>(proxy.name, '-4', 'route', 'show', 'table', '4096'))).toEqual([
      '172.16.3.9 dev bridge0',
    ]);
    expect(gatewaysOf(ipJson<JsonRoute[]>(proxy.name, '-6', 'route', 'show', 'table', '4096'))).toEqual([
      'fd00:0:0:3::9 dev bridge0',
    ]);
    const lookup6 = ip(proxy.name, '-6', 'route', 'get', 'fd99::1', 'from', '2000::1', 'iif', 'bridge0');
    expect(lookup6).toMatch(/via fd00:0:0:3::9 dev bridge0 table 4096/);

    await routing.setVips(['20.0.0.1/32', '30.0.0.0/24']);
    expect(vipRules(proxy.name, '-4')).toEqual(['100 from 20.0.0.1', '100 from 30.0.0.0/24']);
    expect(vipRules(proxy.name, '-6')).toEqual([]);

    await routing.clear();
    expect([...vipRules(proxy.name, '-4'), ...vipRules(proxy.name, '-6')]).toEqual([]);
    expect(ip(proxy.name, 'route', 'show', 'table', '4096').trim()).toBe('');
    expect(ip(proxy.name, '-6', 'route', 'show', 'table', '4096').trim()).toBe('');
  });

  it('takes over what a killed run left and removes what is no longer wanted', async () => {
    const proxy = await proxyNamespace();
    const killed = proxy.routing();
    await killed.setVips(['20.0.0.1/32', '2000::1/128']);
    await killed.setNexthops('lb-a', [
      { gateway: '172.16.3.5', device: 'bridge0' },
      { gateway: 'fd00:0:0:3::5', device: 'bridge0' },
    ]);
    const restarted = proxy.routing();
    await restarted.setVips(['20.0.0.1/32']);
    expect(vipRules(proxy.name, '-6')).toEqual([]);
    await restarted.setNexthops('lb-a', [{ gateway: '172.16.3.5', device: 'bridge0' }]);
    expect(ip(proxy.name, '-6', 'route', 'show', 'table', '4096').trim()).toBe('');
    expect(vipRules(proxy.name, '-4')).toEqual(['100 from 20.0.0.1']);
    await restarted.clear();
    expect(vipRules(proxy.name, '-4')).toEqual([]);
    expect(ip(proxy.name, 'route', 'show', 'table', '4096').trim()).toBe('');
  });
});
