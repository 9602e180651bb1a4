import { skipUnlessRoot } from '../../helpers/netns.js';
import type { TcpResult } from '../lb-shared/traffic.js';
import { countMarks } from './conntrack.js';
import { FAMILIES, tcpFlow, TCP_PORT, useDatapathLb } from './setup.js';

const CONNECTIONS = 300;

skipUnlessRoot('the LB flow pinning tests', ['iptables-nft', 'ping'])('LB with flow pinning', () => {
  const setup = useDatapathLb({ label: 'lbpin', targets: 4, pinning: true, active: [1, 2, 3] });

  it('keeps established connections on their target while a target joins and another leaves', async () => {
    const { topology, lb, client } = setup;
    const original = new Map<string, TcpResult[]>();
    for (const { family, vip } of FAMILIES) {
      const opened = await client.tcpOpen(`original-${family}`, vip, TCP_PORT, CONNECTIONS);
      expect(opened.filter((connection) => connection.error !== null)).toEqual([]);
      expect(new Set(opened.map((connection) => connection.target))).toEqual(new Set(['t1', 't2', 't3']));
      original.set(family, opened);
    }

    // Target 4 joins. The new table moves about a quarter of the entries to it, but no pinned
    // connection notices; new connections reach the newcomer.
    await lb.setActive([1, 2, 3, 4]);
    const joined = new Map<string, TcpResult[]>();
    for (const { family, vip, source } of FAMILIES) {
      const queuedBefore = lb.stats().packets;
      const replies = await client.tcpPing(`original-${family}`);
      // Pinned packets leave the chain at the restored mark: none of them crossed to the queue.
      expect(lb.stats().packets).toBe(queuedBefore);
      expect(replies.map(({ target, error }) => ({ target, error }))).toEqual(
        (original.get(family) ?? []).map(({ target }) => ({ target, error: null })),
      );
      const moved = (original.get(family) ?? []).filter(
        (connection) =>
          lb.identifierOf(tcpFlow(source, vip, connection)) !== Number(connection.target?.slice(1)),
      );
      expect(moved.length).toBeGreaterThan(CONNECTIONS / 10); // stateless, these would have broken
      const opened = await client.tcpOpen(`joined-${family}`, vip, TCP_PORT, CONNECTIONS);
      expect(opened.filter((connection) => connection.error !== null)).toEqual([]);
      expect(opened.filter((connection) => connection.target === 't4').length).toBeGreaterThan(
        CONNECTIONS / 10,
      );
      joined.set(family, opened);
    }

    // Target 2 leaves: only its connections move (re-hashed to a survivor, which resets them). Its
    // conntrack entries are gone before the next packet; the others keep theirs.
    const pinned = countMarks(topology.lb);
    expect(pinned.get(5002)).toBeGreaterThan(0);
    await lb.setActive([1, 3, 4]);
    const marks = countMarks(topology.lb);
    expect(marks.get(5002)).toBeUndefined();
    for (const mark of [5001, 5003, 5004]) expect(marks.get(mark)).toBe(pinned.get(mark));
    for (const { family, vip } of FAMILIES) {
      for (const group of ['original', 'joined']) {
        const before = (group === 'original' ? original : joined).get(family) ?? [];
        const replies = await client.tcpPing(`${group}-${family}`);
        expect(replies.map(({ target, error }) => ({ target, error }))).toEqual(
          before.map(({ target }) =>
            target === 't2' ? { target: null, error: 'ECONNRESET' } : { target, error: null },
          ),
        );
      }
      const opened = await client.tcpOpen(`left-${family}`, vip, TCP_PORT, CONNECTIONS);
      expect(opened.filter((connection) => connection.error !== null)).toEqual([]);
      expect(new Set(opened.map((connection) => connection.target))).toEqual(new Set(['t1', 't3', 't4']));
    }
    expect(countMarks(topology.lb).get(5002)).toBeUndefined();
  }, 90_000);
});
