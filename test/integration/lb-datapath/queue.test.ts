import { execFileSync } from 'node:child_process';
import { Code, InvalidArgumentError } from '../../../sdk/core/index.js';
import { applyLbChains, removeLbChains } from '../../../sdk/kernel/iptables/index.js';
import {
  createFlowTable,
  NetnsNotFoundError,
  NfQueueBusyError,
  NfQueuePermissionError,
  openJsCallbackQueue,
  openNfQueue,
} from '../../../sdk/nfqueue/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { TrafficAgent } from '../lb-shared/traffic.js';
import { CAP_NET_ADMIN, withoutCapability } from './capabilities.js';
import { TestLb } from './lb.js';
import { targetAddresses } from '../lb-shared/topology.js';
import { buildTopology, VIP4, VIP6 } from './topology.js';

skipUnlessRoot('the NFQUEUE queue tests', ['iptables-nft', 'ping'])('NFQUEUE queue', () => {
  const sandbox = useNetnsSandbox('lbq');

  it('rejects invalid options before touching the kernel', () => {
    const table = createFlowTable();
    expect(() => openNfQueue({ queue: 70000, table })).toThrow(InvalidArgumentError);
    expect(() => openNfQueue({ queue: 1, table, copyRange: 20 })).toThrow(
      /copyRange must be an integer from 64/,
    );
    expect(() => openNfQueue({ queue: 1, table, fwmarkOffset: 0xffffffff })).toThrow(/fwmarkOffset/);
    expect(() => openNfQueue({ queue: 1, table, netns: 'a/b' })).toThrow(/neither a network namespace name/);
  });

  it('names a missing namespace', () => {
    const netns = sandbox.name('missing');
    expect(() => openNfQueue({ queue: 1, table: createFlowTable(), netns })).toThrow(NetnsNotFoundError);
    expect(() => openNfQueue({ queue: 1, table: createFlowTable(), netns })).toThrow(
      `Network namespace ${netns} does not exist`,
    );
  });

  it('reports a busy queue, frees it on close, and is idempotent to close', () => {
    const netns = sandbox.name('busy');
    execFileSync('ip', ['netns', 'add', netns]);
    const table = createFlowTable();
    const first = openNfQueue({ queue: 7, table, netns });
    let busy: unknown;
    try {
      openNfQueue({ queue: 7, table, netns }).close();
    } catch (error) {
      busy = error;
    }
    expect(busy).toBeInstanceOf(NfQueueBusyError);
    expect(busy).toMatchObject({ code: Code.ALREADY_EXISTS, errno: 'EBUSY' });
    expect(String(busy)).toContain(`NFQUEUE queue 7 in network namespace ${netns} is already bound`);
    // The same number in another namespace is another queue.
    const other = sandbox.name('other');
    execFileSync('ip', ['netns', 'add', other]);
    openNfQueue({ queue: 7, table, netns: other }).close();
    first.close();
    first.close();
    const again = openNfQueue({ queue: 7, table, netns });
    expect(again.stats()).toMatchObject({ packets: 0, kernel: { waiting: 0 } });
    again.close();
    expect(again.stats().kernel).toBeUndefined();
  });

  it('reports a missing CAP_NET_ADMIN as a permission error', () => {
    const netns = sandbox.name('perm');
    execFileSync('ip', ['netns', 'add', netns]);
    const table = createFlowTable();
    let refused: unknown;
    withoutCapability(CAP_NET_ADMIN, () => {
      try {
        openNfQueue({ queue: 3, table, netns }).close();
      } catch (error) {
        refused = error;
      }
    });
    expect(refused).toBeInstanceOf(NfQueuePermissionError);
    expect(refused).toMatchObject({ code: Code.PERMISSION_DENIED, errno: 'EPERM' });
    expect(String(refused)).toContain('needs CAP_NET_ADMIN');
    openNfQueue({ queue: 3, table, netns }).close(); // the reader slot was given back
  });

  it('decides in JavaScript once per packet in the comparison mode', async () => {
    const topology = buildTopology(sandbox.name, 2);
    const servers = await Promise.all(topology.targets.map((target) => TrafficAgent.start(target)));
    await Promise.all(
      servers.map((server, i) => server.serve(`t${i + 1}`, 8080, { port: 8081, addresses: [VIP4, VIP6] })),
    );
    const client = await TrafficAgent.start(topology.client);
    const lb = new TestLb(topology, { pinning: false, javascriptPerPacket: true });
    try {
      await lb.start();
      await lb.setActive([1, 2]);
      const flows = await client.udp(VIP6, 8081, 200, 2);
      const targets = flows.map((flow) => flow.replies[0]);
      expect(flows.every((flow) => flow.replies[1] === flow.replies[0])).toBe(true);
      expect(new Set(targets)).toEqual(new Set(['t1', 't2']));
      const stats = lb.stats();
      expect(stats.accepted).toBe(stats.perIdentifier[1] + stats.perIdentifier[2]);
      expect(stats.accepted).toBeGreaterThanOrEqual(400);
      expect(stats.callbackOverflows).toBe(0);
    } finally {
      await client.stop();
      for (const server of servers) await server.stop();
      await lb.stop();
    }
  }, 60_000);

  it.each([
    [true, 'accepts overflowing packets unmarked (they follow the main table)'],
    [false, 'drops overflowing packets'],
  ])(
    'with failOpen %s, a full queue %s',
    async (failOpen) => {
      const topology = buildTopology(sandbox.name, 1);
      const [server, client] = await Promise.all([
        TrafficAgent.start(topology.targets[0]),
        TrafficAgent.start(topology.client),
      ]);
      try {
        await server.serve('t1', 8080, { port: 8081, addresses: [VIP4, VIP6] });
        // Unmarked VIP packets reach target 1 through the main table instead of the blackhole.
        execFileSync('ip', [
          '-n',
          topology.lb,
          'route',
          'replace',
          `${VIP4}/32`,
          'via',
          targetAddresses(1).own4,
        ]);
        await applyLbChains({ netns: topology.lb, vips: [VIP4], queue: 4, pinning: false });
        const table = createFlowTable();
        // A slow JavaScript decision that drops everything: only the kernel's overflow policy lets packets through.
        const queue = openJsCallbackQueue({
          queue: 4,
          table,
          netns: topology.lb,
          queueMaxLength: 1,
          failOpen,
          onPacket: () => {
            const until = Date.now() + 5;
            while (Date.now() < until);
            return 0;
          },
        });
        try {
          const flows = await client.udp(VIP4, 8081, 100, 1, 1);
          const answered = flows.filter((flow) => flow.replies[0] === 't1').length;
          if (failOpen) expect(answered).toBeGreaterThan(0);
          else expect(answered).toBe(0);
          expect(queue.stats().accepted).toBe(0);
          if (!failOpen) expect(queue.stats().kernel?.queueDropped).toBeGreaterThan(0);
        } finally {
          queue.close();
        }
      } finally {
        await client.stop();
        await server.stop();
        await removeLbChains({ netns: topology.lb });
      }
    },
    60_000,
  );
});
