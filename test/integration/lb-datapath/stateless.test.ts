import { skipUnlessRoot } from '../../helpers/netns.js';
import type { TcpResult } from '../lb-shared/traffic.js';
import { FAMILIES, tcpFlow, TCP_PORT, useDatapathLb } from './setup.js';

const CONNECTIONS = 300;

skipUnlessRoot('the stateless LB tests', ['iptables-nft', 'ping'])(
  'LB without flow pinning (stateless)',
  () => {
    const setup = useDatapathLb({ label: 'lbsl', targets: 4, pinning: false, active: [1, 2, 3] });

    it('loses exactly the connections whose table entry changed target', async () => {
      const { lb, client } = setup;
      const alive = new Map<string, { connection: TcpResult; identifier: number }[]>();
      for (const { family, vip, source } of FAMILIES) {
        const opened = await client.tcpOpen(family, vip, TCP_PORT, CONNECTIONS);
        expect(opened.filter((connection) => connection.error !== null)).toEqual([]);
        alive.set(
          family,
          opened.map((connection) => {
            const identifier = lb.identifierOf(tcpFlow(source, vip, connection));
            expect(connection.target).toBe(`t${identifier}`);
            return { connection, identifier };
          }),
        );
      }

      for (const active of [
        [1, 2, 3, 4],
        [1, 3, 4],
      ]) {
        await lb.setActive(active);
        let lost = 0;
        for (const { family, vip, source } of FAMILIES) {
          const replies = await client.tcpPing(family);
          const survivors: { connection: TcpResult; identifier: number }[] = [];
          // Every packet is hashed again: a connection survives if and only if its entry kept its target.
          (alive.get(family) ?? []).forEach(({ connection, identifier }) => {
            const reply = replies.find((candidate) => candidate.port === connection.port);
            const now = lb.identifierOf(tcpFlow(source, vip, connection));
            if (now === identifier) {
              expect(reply).toMatchObject({ target: `t${identifier}`, error: null });
              survivors.push({ connection, identifier });
            } else {
              expect(reply).toMatchObject({ target: null, error: 'ECONNRESET' });
              lost++;
            }
          });
          alive.set(family, survivors);
        }
        expect(lost).toBeGreaterThan(CONNECTIONS / 10);
      }
      expect(lb.stats().packets).toBeGreaterThan(CONNECTIONS * 2 * 4); // every packet went through the queue
    }, 90_000);
  },
);
