import { skipUnlessRoot } from '../../helpers/netns.js';
import type { UdpFlowResult } from '../lb-shared/traffic.js';
import { TCP_PORT, UDP_PORT, useDatapathLb } from './setup.js';
import { CLIENT4, CLIENT6, VIP4, VIP6 } from './topology.js';

const FLOWS = 1000;

skipUnlessRoot('the LB data-path tests', ['iptables-nft', 'ping'])('LB data path (pinning on)', () => {
  const setup = useDatapathLb({ label: 'lbdp', targets: 3, pinning: true });

  it('drops VIP traffic while no target is active', async () => {
    const { lb, client } = setup;
    const [flow] = await client.udp(VIP4, UDP_PORT, 1, 1, 1);
    expect(flow.replies).toEqual([null]);
    const stats = lb.stats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.perIdentifier[0]).toBe(stats.dropped);
    expect(stats.accepted).toBe(0);
  });

  it.each([
    ['IPv4', VIP4, CLIENT4],
    ['IPv6', VIP6, CLIENT6],
  ])(
    'spreads %s UDP flows over 3 targets within ±25 %%, each flow on one target, as the lookup says',
    async (_, vip, source) => {
      const { lb, client } = setup;
      await lb.setActive([1, 2, 3]);
      const flows = await client.udp(vip, UDP_PORT, FLOWS, 3);
      expectBalanced(flows.map((flow) => onlyTarget(flow)));
      for (const flow of flows) {
        const identifier = lb.identifierOf({
          source,
          destination: vip,
          protocol: 'udp',
          sourcePort: flow.port,
          destinationPort: UDP_PORT,
        });
        expect(flow.replies[0]).toBe(`t${identifier}`);
      }
    },
    60_000,
  );

  it.each([
    ['IPv4', VIP4, CLIENT4],
    ['IPv6', VIP6, CLIENT6],
  ])(
    'spreads %s TCP connections over 3 targets within ±25 %%, as the lookup says',
    async (family, vip, source) => {
      const { lb, client } = setup;
      const before = lb.stats().packets;
      const connections = await client.tcpOpen(`spread-${family}`, vip, TCP_PORT, FLOWS);
      expect(connections.filter((connection) => connection.error !== null)).toEqual([]);
      expectBalanced(connections.map((connection) => connection.target));
      for (const connection of connections) {
        const identifier = lb.identifierOf({
          source,
          destination: vip,
          protocol: 'tcp',
          sourcePort: connection.port ?? 0,
          destinationPort: TCP_PORT,
        });
        expect(connection.target).toBe(`t${identifier}`);
      }
      // Pinned: a connection's first packet is queued; its others (ACK, data, FIN) follow the restored mark.
      const queued = lb.stats().packets - before;
      expect(queued).toBeGreaterThanOrEqual(FLOWS);
      expect(queued).toBeLessThan(FLOWS * 1.5);
      const again = await client.tcpPing(`spread-${family}`);
      expect(again.map((reply) => reply.target)).toEqual(connections.map((connection) => connection.target));
    },
    60_000,
  );

  it('counts per identifier and reports the kernel queue', () => {
    const stats = setup.lb.stats();
    expect(stats.perIdentifier.slice(1, 4).every((count) => count > 500)).toBe(true);
    expect(stats.perIdentifier.slice(4).every((count) => count === 0)).toBe(true);
    expect(stats.accepted).toBe(stats.perIdentifier.slice(1).reduce((a, b) => a + b, 0));
    expect(stats.kernel).toMatchObject({ queueDropped: 0, userDropped: 0 });
    expect(stats.queueOverruns).toBe(0);
    expect(stats.verdictErrors).toBe(0);
  });
});

function onlyTarget(flow: UdpFlowResult): string | null {
  const [first] = flow.replies;
  expect(first).not.toBeNull();
  expect(flow.replies.every((reply) => reply === first)).toBe(true);
  return first;
}

function expectBalanced(targets: (string | null)[]): void {
  const counts = new Map<string, number>();
  for (const target of targets) {
    expect(target).not.toBeNull();
    counts.set(target ?? '', (counts.get(target ?? '') ?? 0) + 1);
  }
  expect([...counts.keys()].sort()).toEqual(['t1', 't2', 't3']);
  const mean = targets.length / 3;
  for (const count of counts.values()) {
    expect(count).toBeGreaterThanOrEqual(mean * 0.75);
    expect(count).toBeLessThanOrEqual(mean * 1.25);
  }
}
