/**
 * `meridio proxy` as a process of its own: killed with SIGKILL and started again, its targets heal
 * with their addresses; stopped with SIGTERM, it exits 0 and removes what it made in its namespace.
 */
import { join } from 'node:path';

import type { RunningTarget } from '../../../clients/target/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { eventually, killSpawned, type MeridioProcess, serving, spawnMeridio } from '../services/helpers.js';
import {
  EXTERNAL_V4,
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

      proxy.kill('SIGKILL');
      await proxy.exited;
      proxy = startProxyProcess();
      await serving(proxy, listen);
      await eventually(async () => {
        const ports = (await linksIn(proxyNs)).filter((link) => link.master === 'bridge0');
        return ports.length === 3;
      }, 'the LB and both healed targets are ports of the bridge again');
      expect(targets.map((target) => target.status().ips)).toEqual(before);
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

      proxy.kill('SIGTERM');
      expect(await proxy.exited).toBe(0);
      expect((await linksIn(proxyNs)).some((link) => link.name === 'bridge0')).toBe(false);
      expect(await vipRouting(proxyNs)).toBe('');
      expect(await bed.nspClient.getTargets()).toEqual([]);
    }, 60_000);
  },
);
