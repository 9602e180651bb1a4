import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { Agent, type TcpResult } from './agents.js';
import { TestLb } from './lb.js';
import { buildTopology, CLIENT4, CLIENT6, VIP4, VIP6, type Topology } from './topology.js';

const TCP_PORT = 8080;
const CONNECTIONS = 300;

const families = [
  { family: 'IPv4', vip: VIP4, source: CLIENT4 },
  { family: 'IPv6', vip: VIP6, source: CLIENT6 },
];

skipUnlessRoot('the stateless LB tests', ['iptables-nft', 'ping'])(
  'LB without flow pinning (stateless)',
  () => {
    const sandbox = useNetnsSandbox('lbsl', { scope: 'all' });
    let topology: Topology;
    let lb: TestLb;
    let client: Agent;
    const servers: Agent[] = [];

    beforeAll(async () => {
      topology = buildTopology(sandbox.name, 4);
      for (const [i, target] of topology.targets.entries()) {
        const agent = await Agent.start(target);
        servers.push(agent);
        await agent.serve(`t${i + 1}`, [VIP4, VIP6], TCP_PORT, TCP_PORT + 1);
      }
      client = await Agent.start(topology.client);
      lb = new TestLb(topology, { pinning: false });
      await lb.start();
      await lb.setActive([1, 2, 3]);
    }, 60_000);

    afterAll(async () => {
      await client?.stop();
      for (const server of servers) await server.stop();
      await lb?.stop();
    });

    it('loses exactly the connections whose table entry changed target', async () => {
      const alive = new Map<string, { connection: TcpResult; identifier: number }[]>();
      for (const { family, vip, source } of families) {
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
        for (const { family, vip, source } of families) {
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
              expect(reply).toMatchObject({ target: null, error: 'reset' });
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

function tcpFlow(source: string, destination: string, connection: TcpResult) {
  return {
    source,
    destination,
    protocol: 'tcp' as const,
    sourcePort: connection.port ?? 0,
    destinationPort: TCP_PORT,
  };
}
