import { connectionMac } from '../../../endpoints/nsm/forwarder/index.js';
import type { Connection } from '../../../sdk/core/index.js';
import { interfaceNameOf } from '../../../sdk/middleware/kernel-mechanism/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { linksOf, type PointToPoint, run, startPointToPoint, tempDir, type TestClient } from './fixtures.js';

async function macOf(netns: string, ifname: string): Promise<string> {
  const result = await run('ip', ['-n', netns, '-j', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(result.output) as { address: string }[])[0]!.address;
}

skipUnlessRoot('embedded NSM link MAC tests', [])(
  "the forwarder gives a connection's veth ends MACs derived from its id",
  () => {
    const sandbox = useNetnsSandbox('nsmmac');
    let dir: ReturnType<typeof tempDir>;
    let bed: PointToPoint | undefined;
    let client: TestClient;
    let a: string;
    let b: string;

    beforeEach(async () => {
      dir = tempDir();
      const started = await startPointToPoint({
        a: sandbox.create('a').name,
        b: sandbox.create('b').name,
        socketDir: dir.path,
        ipam: { ipv4: '172.30.41', ipv6: 'fd00:30:41::' },
      });
      bed = started;
      ({ a, b, client } = started);
    });

    afterEach(async () => {
      await bed?.stop();
      bed = undefined;
      dir.remove();
    });

    /** A connection with this id (the client's own, as a target's `<name>-proxy`). */
    const requestWithId = (id: string, connection?: Connection): Promise<Connection> => {
      const [ctx, cancel] = client.context.withTimeout(20_000);
      return client.client
        .request(ctx, { connection: connection ?? { id, network_service: 'svc' } })
        .finally(() => cancel());
    };

    /** The MACs of the connection's two ends: the client's in a, the endpoint's (the only link) in b. */
    async function macsOf(connection: Connection): Promise<{ client: string; endpoint: string }> {
      const [endpointLink] = await linksOf(b);
      return {
        client: await macOf(a, interfaceNameOf(connection.mechanism)),
        endpoint: await macOf(b, endpointLink!),
      };
    }

    it('makes the same MACs for a link made again, locally administered and unicast', async () => {
      const first = await requestWithId('target-a-proxy');
      const macs = await macsOf(first);
      expect(macs).toEqual({
        client: connectionMac('target-a-proxy', 'client'),
        endpoint: connectionMac('target-a-proxy', 'endpoint'),
      });
      for (const mac of [macs.client, macs.endpoint]) {
        expect(parseInt(mac.slice(0, 2), 16) & 0x03).toBe(0x02);
      }

      // The link is lost (its peer's namespace went, someone deleted it): a refresh makes it again.
      await run('ip', ['-n', a, 'link', 'del', interfaceNameOf(first.mechanism)]);
      expect(await linksOf(a)).toEqual([]);
      const refreshed = await requestWithId('target-a-proxy', first);
      expect(await linksOf(a)).toEqual([interfaceNameOf(refreshed.mechanism)]);
      expect(await macsOf(refreshed)).toEqual(macs);

      // Closed and requested again under the same id (a restarted client): the same MACs again.
      await client.close(refreshed);
      expect(await linksOf(a)).toEqual([]);
      const again = await requestWithId('target-a-proxy');
      expect(await macsOf(again)).toEqual(macs);
      await client.close(again);
    });

    it('gives two connections different MACs', async () => {
      const first = await requestWithId('target-a-proxy');
      const firstMacs = await macsOf(first);
      await client.close(first);
      const second = await requestWithId('target-b-proxy');
      const secondMacs = await macsOf(second);
      await client.close(second);
      expect(
        new Set([firstMacs.client, firstMacs.endpoint, secondMacs.client, secondMacs.endpoint]).size,
      ).toBe(4);
    });
  },
);
