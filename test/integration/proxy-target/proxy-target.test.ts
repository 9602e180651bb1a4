import { execFileSync } from 'node:child_process';

import type { RunningTarget } from '../../../clients/target/index.js';
import { bridgeMac, type RunningProxy } from '../../../endpoints/proxy/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { eventually } from '../services/helpers.js';
import {
  EXTERNAL_V4,
  EXTERNAL_V6,
  globalAddresses,
  ipIn,
  linksIn,
  pings,
  type StandInLoadBalancer,
  TestBed,
  vipRouting,
} from './harness.js';

/** What a target's namespace looked like at one moment: its lo addresses and its VIP routes (table 4096). */
interface TargetView {
  readonly lo: string[];
  readonly routes: string;
}

/** Synchronous on purpose: it runs inside the NSP's Register, with the whole test bed held still. */
function viewNow(netns: string): TargetView {
  const ip = (...args: string[]): string =>
    execFileSync('ip', ['-n', netns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const lo = JSON.parse(ip('-j', 'addr', 'show', 'dev', 'lo')) as {
    addr_info: { local: string; prefixlen: number }[];
  }[];
  return {
    lo: lo.flatMap((l) => l.addr_info).map((a) => `${a.local}/${a.prefixlen}`),
    routes: ip('-4', 'route', 'show', 'table', '4096') + ip('-6', 'route', 'show', 'table', '4096'),
  };
}

function family(addresses: readonly string[], ipFamily: 4 | 6): string {
  const found = addresses.find((address) => address.includes(':') === (ipFamily === 6));
  if (found === undefined) throw new Error(`no IPv${ipFamily} address among ${addresses.join(', ')}`);
  return found.split('/')[0]!;
}

skipUnlessRoot('proxy and targets in network namespaces', ['ping'])(
  'a proxy and two targets through the embedded NSM, with NSP, IPAM and a stand-in LB',
  () => {
    const sandbox = useNetnsSandbox('prxtg', { scope: 'all' });
    let bed: TestBed;
    let lb: StandInLoadBalancer;
    let proxyNs: string;
    let proxy: RunningProxy;
    let targets: RunningTarget[];
    /** Each target's namespace as it was whenever the NSP began to list it, by its addresses. */
    const atRegistration = new Map<string, TargetView[]>();
    const targetNames = ['target-a', 'target-b'];

    beforeAll(async () => {
      bed = await TestBed.start(sandbox, { vips: ['20.0.0.1/32', '2000::1/128'] });
      // Everything runs in this process, so looking at the targets' namespaces inside Register shows
      // them exactly as they were when the NSP was asked to list the target.
      const registry = bed.nsp.registry;
      const register = registry.register.bind(registry);
      registry.register = (input) => {
        const ips = input.ips ?? [];
        const listed = registry.targets().some((target) => target.ips.join() === ips.join());
        if (!listed) {
          const owner = targetNames
            .map((name) => sandbox.name(name))
            .find((netns) => {
              try {
                return execFileSync('ip', ['-n', netns, '-o', 'addr', 'show'], { encoding: 'utf8' }).includes(
                  ` ${ips[0]} `,
                );
              } catch {
                return false;
              }
            });
          const view =
            owner === undefined ? { lo: [], routes: 'no target has the addresses' } : viewNow(owner);
          atRegistration.set(ips.join(), [...(atRegistration.get(ips.join()) ?? []), view]);
        }
        return register(input);
      };
      lb = await bed.loadBalancer('lb-a');
      proxyNs = sandbox.create('proxy').name;
      proxy = await bed.proxy(proxyNs);
      targets = [bed.target('target-a'), bed.target('target-b')];
      await Promise.all(targets.map((target) => target.ready));
      await eventually(() => proxy.loadBalancers().length === 1, 'the proxy is connected to the LB');
    }, 60_000);

    afterAll(async () => {
      for (const target of targets) await target.stop();
      await proxy.stop();
      await lb.stop();
      await bed.stop();
    }, 60_000);

    const targetNs = (index: number): string => sandbox.name(targets[index]!.name);

    it('gives each target addresses of the proxy subnet and registers it at the NSP with its own identifier', async () => {
      expect(proxy.subnets[0]).toMatch(/^172\.16\.\d+\.0\/24$/);
      expect(proxy.subnets[1]).toMatch(/^fd00:(0:[0-9a-f]+:)?:\/64$/);
      const statuses = targets.map((target) => target.status());
      for (const [index, status] of statuses.entries()) {
        expect(status.ips).toHaveLength(2);
        expect(status.ips.every((ip) => proxy.addresses.covers(ip))).toBe(true);
        expect(status.gateways).toEqual(proxy.bridgeAddresses);
        const [link] = (await linksIn(targetNs(index))).map((l) => l.name);
        expect(await globalAddresses(targetNs(index), link!)).toEqual([...status.ips].sort());
      }
      expect(new Set(statuses.map((s) => s.identifier)).size).toBe(2);
      const registered = await bed.nspClient.getTargets();
      expect(
        registered
          .map((t) => ({ ips: [...t.ips], identifier: t.context.identifier }))
          .sort((a, b) => (a.ips[0]! < b.ips[0]! ? -1 : 1)),
      ).toEqual(
        statuses
          .map((s) => ({ ips: [...s.ips], identifier: s.identifier }))
          .sort((a, b) => (a.ips[0]! < b.ips[0]! ? -1 : 1)),
      );
      expect(await globalAddresses(proxyNs, 'bridge0')).toEqual([...proxy.bridgeAddresses].sort());
      const links = await linksIn(proxyNs);
      expect(links.find((l) => l.name === 'bridge0')?.mac).toBe(bridgeMac(bed.node));
      expect(links.filter((l) => l.master === 'bridge0')).toHaveLength(3);
    });

    /** The `nth` time (from 1) the NSP began to list each target, its VIPs were on lo and its route was in. */
    function expectRegisteredOnlyWhenReady(nth: number, vips: readonly string[]): void {
      const bridge4 = family(proxy.bridgeAddresses, 4);
      const bridge6 = family(proxy.bridgeAddresses, 6);
      for (const target of targets) {
        const views = atRegistration.get([...target.status().ips].join()) ?? [];
        expect(views).toHaveLength(nth);
        const view = views[nth - 1]!;
        expect(view.lo).toEqual(expect.arrayContaining([...vips]));
        expect(view.routes).toMatch(new RegExp(`default via ${bridge4} dev nsm`));
        expect(view.routes).toMatch(new RegExp(`default via ${bridge6} dev nsm`));
      }
    }

    it('registers a target only once its VIPs are on its lo and its VIP source route is in', () => {
      expectRegisteredOnlyWhenReady(1, ['20.0.0.1/32', '2000::1/128']);
    });

    it("lets the LB reach every target through the bridge, and sends a target's VIP reply back through the proxy to the LB", async () => {
      const [lbLink] = await linksIn(lb.netns);
      const lbAddress = family(await globalAddresses(lb.netns, lbLink!.name), 4);
      const bridge4 = family(proxy.bridgeAddresses, 4);
      const bridge6 = family(proxy.bridgeAddresses, 6);
      for (const [index, target] of targets.entries()) {
        const ips = target.status().ips;
        expect(await pings(lb.netns, family(ips, 4))).toBe(true);
        expect(await pings(lb.netns, family(ips, 6))).toBe(true);
        expect(await ipIn(targetNs(index), 'route', 'get', EXTERNAL_V4, 'from', '20.0.0.1')).toMatch(
          new RegExp(`via ${bridge4} dev \\S+ table 4096`),
        );
        expect(await ipIn(targetNs(index), '-6', 'route', 'get', EXTERNAL_V6, 'from', '2000::1')).toMatch(
          new RegExp(`via ${bridge6} dev \\S+ table 4096`),
        );
      }
      expect(await ipIn(proxyNs, 'route', 'get', EXTERNAL_V4, 'from', '20.0.0.1', 'iif', 'bridge0')).toMatch(
        new RegExp(`via ${lbAddress} dev bridge0 table 4096`),
      );
      // Traffic to the VIP sent to one target, then the other: only the proxy's VIP route brings the reply back.
      for (const target of targets) {
        const ips = target.status().ips;
        await ipIn(lb.netns, 'route', 'replace', '20.0.0.1/32', 'via', family(ips, 4));
        await ipIn(lb.netns, '-6', 'route', 'replace', '2000::1/128', 'via', family(ips, 6));
        expect(await pings(lb.netns, '20.0.0.1', EXTERNAL_V4)).toBe(true);
        expect(await pings(lb.netns, '2000::1', EXTERNAL_V6)).toBe(true);
      }
    });

    it('applies a VIP change of the configuration file without a restart', async () => {
      await bed.writeVips(['20.0.0.1/32', '2000::1/128', '30.0.0.1/32']);
      await eventually(async () => {
        const carrying = await Promise.all(targets.map((_, i) => globalAddresses(targetNs(i), 'lo')));
        return carrying.every((addresses) => addresses.includes('30.0.0.1/32'));
      }, 'both targets carry the new VIP');
      await eventually(
        async () => (await vipRouting(proxyNs)).includes('from 30.0.0.1'),
        "the proxy routes the new VIP's traffic",
      );
      await ipIn(lb.netns, 'route', 'replace', '30.0.0.1/32', 'via', family(targets[0]!.status().ips, 4));
      expect(await pings(lb.netns, '30.0.0.1', EXTERNAL_V4)).toBe(true);

      await bed.writeVips(['30.0.0.1/32']);
      await eventually(async () => {
        const carrying = await Promise.all(targets.map((_, i) => globalAddresses(targetNs(i), 'lo')));
        return carrying.every(
          (addresses) => !addresses.includes('20.0.0.1/32') && !addresses.includes('2000::1/128'),
        );
      }, 'the removed VIPs left the targets');
      await eventually(async () => {
        const routing = [
          await vipRouting(proxyNs),
          ...(await Promise.all(targets.map((_, i) => vipRouting(targetNs(i))))),
        ];
        return routing.every((text) => !text.includes('20.0.0.1') && !text.includes('2000::1'));
      }, 'the removed VIPs have no source route left');
      expect(await globalAddresses(targetNs(1), 'lo')).toContain('30.0.0.1/32');
    });

    it('keeps a full mesh as load balancers come and go, with the VIP route over all of them', async () => {
      const defaultRoute = async (): Promise<string> =>
        (await ipIn(proxyNs, 'route', 'show', 'table', '4096')).trim();
      const second = await bed.loadBalancer('lb-b');
      await eventually(() => proxy.loadBalancers().length === 2, 'the proxy is connected to both LBs');
      await eventually(
        async () => ((await defaultRoute()).match(/nexthop via/g) ?? []).length === 2,
        'the VIP route has a nexthop per LB',
      );
      const [secondLink] = await linksIn(second.netns);
      const secondAddress = family(await globalAddresses(second.netns, secondLink!.name), 4);
      expect(await defaultRoute()).toContain(`nexthop via ${secondAddress} dev bridge0`);
      expect(await pings(second.netns, family(targets[0]!.status().ips, 4))).toBe(true);

      await second.stop();
      await eventually(() => proxy.loadBalancers().length === 1, 'the proxy let the departed LB go');
      await eventually(
        async () => !(await defaultRoute()).includes('nexthop'),
        'the VIP route is back to one LB',
      );
      // "via A " with its space: 172.16.0.2 is a prefix of 172.16.0.252.
      expect(await defaultRoute()).not.toContain(`via ${secondAddress} `);
      expect(await linksIn(second.netns)).toEqual([]);
      expect((await linksIn(proxyNs)).filter((l) => l.master === 'bridge0')).toHaveLength(3);
    });

    it('heals the targets when their proxy restarts: same subnet, same addresses, registered again', async () => {
      const before = targets.map((target) => target.status());
      const subnets = proxy.subnets;
      await proxy.stop();
      expect(await linksIn(proxyNs).then((links) => links.some((l) => l.name === 'bridge0'))).toBe(false);
      await eventually(
        async () => (await bed.nspClient.getTargets()).length === 0,
        'the stopped proxy unregistered its targets',
      );

      proxy = await bed.proxy(proxyNs);
      expect(proxy.subnets).toEqual(subnets);
      await eventually(
        async () => (await bed.nspClient.getTargets()).length === 2,
        'the healed targets are registered again',
      );
      expectRegisteredOnlyWhenReady(2, ['30.0.0.1/32']);
      await eventually(
        () => proxy.loadBalancers().length === 1,
        'the restarted proxy is connected to the LB',
      );
      const registered = await bed.nspClient.getTargets();
      for (const [index, target] of targets.entries()) {
        expect(target.status().ips).toEqual(before[index]!.ips);
        expect(registered.map((t) => [...t.ips])).toContainEqual([...before[index]!.ips]);
        await eventually(async () => {
          const ports = (await linksIn(proxyNs)).filter((l) => l.master === 'bridge0');
          return ports.length === 3;
        }, 'the healed connections are ports of the new bridge');
        expect(await pings(lb.netns, family(before[index]!.ips, 4))).toBe(true);
      }
      await ipIn(lb.netns, 'route', 'replace', '30.0.0.1/32', 'via', family(before[1]!.ips, 4));
      expect(await pings(lb.netns, '30.0.0.1', EXTERNAL_V4)).toBe(true);
    });

    it('removes everything it made when stopped', async () => {
      for (const target of targets) await target.stop();
      for (const index of targets.keys()) {
        expect(await linksIn(targetNs(index))).toEqual([]);
        expect(await globalAddresses(targetNs(index), 'lo')).toEqual(['127.0.0.1/8', '::1/128']);
        expect(await vipRouting(targetNs(index))).toBe('');
      }
      await eventually(
        async () => (await bed.nspClient.getTargets()).length === 0,
        'the targets are unregistered',
      );
      await proxy.stop();
      expect(await linksIn(proxyNs)).toEqual([]);
      expect(await vipRouting(proxyNs)).toBe('');
      await lb.stop();
      expect(await linksIn(lb.netns)).toEqual([]);
    });
  },
);
