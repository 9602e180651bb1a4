/**
 * `meridio proxy` and `meridio target` as processes of their own: killed with SIGKILL and started
 * again, they take their connections back (same addresses, same links); stopped with SIGTERM, they exit
 * 0 and remove what they made in their namespaces.
 */
import { join } from 'node:path';

import type { RunningTarget } from '../../../clients/target/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { eventually, killSpawned, type MeridioProcess, serving, spawnMeridio } from '../services/helpers.js';
import {
  EXTERNAL_V4,
  globalAddresses,
  ipIn,
  linksIn,
  pings,
  type StandInLoadBalancer,
  TestBed,
  vipRouting,
} from './harness.js';

skipUnlessRoot('meridio proxy as a process', ['ping'])(
  'meridio proxy, killed and restarted, then stopped',
  () => {
    const sandbox = useNetnsSandbox('prxps', { scope: 'all' });
    let bed: TestBed;
    let lb: StandInLoadBalancer;
    let proxyNs: string;
    let targets: RunningTarget[] = [];
    let listen: string;

    const startProxyProcess = (): MeridioProcess =>
      spawnMeridio([
        'proxy',
        '--name',
        'proxy-node-1',
        '--host',
        bed.node,
        '--connect-to',
        bed.nsm.address,
        '--ipam-service',
        `unix://${join(bed.dir, 'ipam.sock')}`,
        '--nsp-service',
        `unix://${join(bed.dir, 'nsp.sock')}`,
        '--listen',
        listen,
        '--netns',
        proxyNs,
        '--config-file',
        bed.configFile,
        '--log-level',
        'warn',
      ]);

    beforeAll(async () => {
      bed = await TestBed.start(sandbox, { vips: ['20.0.0.1/32'] });
      lb = await bed.loadBalancer('lb-a');
      proxyNs = sandbox.create('proxy').name;
      listen = `unix://${join(bed.dir, 'proxy-node-1.sock')}`;
    }, 30_000);

    afterAll(async () => {
      for (const target of targets) await target.stop();
      await killSpawned();
      await lb.stop();
      await bed.stop();
    }, 30_000);

    it('heals the targets with their addresses after a SIGKILL and a restart; SIGTERM removes what it made', async () => {
      let proxy = startProxyProcess();
      await serving(proxy, listen);
      targets = [bed.target('target-a'), bed.target('target-b')];
      await Promise.all(targets.map((target) => target.connected));
      const before = targets.map((target) => target.status().ips);
      await eventually(async () => {
        const [link] = await linksIn(lb.netns);
        return link !== undefined && (await globalAddresses(lb.netns, link.name)).length === 2;
      }, 'the proxy is connected to the LB');
      const [lbLink] = await linksIn(lb.netns);
      const lbAddresses = await globalAddresses(lb.netns, lbLink!.name);

      proxy.kill('SIGKILL');
      await proxy.exited;
      proxy = startProxyProcess();
      await serving(proxy, listen);
      await eventually(async () => {
        const ports = (await linksIn(proxyNs)).filter((link) => link.master === 'bridge0');
        return ports.length === 3;
      }, 'the LB and both healed targets are ports of the bridge again');
      expect(targets.map((target) => target.status().ips)).toEqual(before);
      // The restarted proxy took its LB connection back instead of making a second one.
      expect(await linksIn(lb.netns)).toEqual([lbLink]);
      expect(await globalAddresses(lb.netns, lbLink!.name)).toEqual(lbAddresses);
      for (const ips of before) {
        const v4 = ips.find((ip) => !ip.includes(':'))!.split('/')[0]!;
        expect(await pings(lb.netns, v4)).toBe(true);
      }
      await ipIn(
        lb.netns,
        'route',
        'replace',
        '20.0.0.1/32',
        'via',
        before[0]!.find((ip) => !ip.includes(':'))!.split('/')[0]!,
      );
      await eventually(
        () => pings(lb.netns, '20.0.0.1', EXTERNAL_V4, 1),
        'the VIP answers through the restarted proxy',
      );

      // A target process killed and started again takes its connection back: same addresses, same
      // identifier, one link, one registration.
      const targetNs = sandbox.create('target-c').name;
      const startTargetProcess = (): MeridioProcess =>
        spawnMeridio([
          'target',
          '--name',
          'target-c',
          '--host',
          bed.node,
          '--connect-to',
          bed.nsm.address,
          '--netns',
          targetNs,
          '--config-file',
          bed.configFile,
          '--log-level',
          'info',
        ]);
      const registrationOf = async (): Promise<string | undefined> => {
        const [link] = await linksIn(targetNs);
        if (link === undefined) return undefined;
        const ips = await globalAddresses(targetNs, link.name);
        const found = (await bed.nspClient.getTargets()).find((t) => ips.includes(t.ips[0]!));
        return found === undefined ? undefined : `${found.ips.join(',')} #${found.context.identifier}`;
      };
      const connectedOnce = (process: MeridioProcess): Promise<void> =>
        eventually(
          () => process.output().includes('connected to the proxy'),
          'the target process is connected',
        );
      let target = startTargetProcess();
      await connectedOnce(target);
      await eventually(
        async () => (await registrationOf()) !== undefined,
        'the target process is registered',
      );
      const registered = await registrationOf();
      target.kill('SIGKILL');
      await target.exited;
      // What the killed process left (link, rules, registration) is still there: wait for the new one.
      target = startTargetProcess();
      await connectedOnce(target);
      expect(await registrationOf()).toBe(registered);
      expect(await linksIn(targetNs)).toHaveLength(1);
      expect(await bed.nspClient.getTargets()).toHaveLength(3);
      expect((await linksIn(proxyNs)).filter((link) => link.master === 'bridge0')).toHaveLength(4);
      target.kill('SIGTERM');
      expect(await target.exited).toBe(0);
      expect(await linksIn(targetNs)).toEqual([]);
      expect(await globalAddresses(targetNs, 'lo')).toEqual(['127.0.0.1/8', '::1/128']);
      expect(await vipRouting(targetNs)).toBe('');

      proxy.kill('SIGTERM');
      expect(await proxy.exited).toBe(0);
      expect((await linksIn(proxyNs)).some((link) => link.name === 'bridge0')).toBe(false);
      expect(await vipRouting(proxyNs)).toBe('');
      expect(await bed.nspClient.getTargets()).toEqual([]);
    }, 60_000);
  },
);
