import {
  type Connection,
  contextOf,
  ipContextOf,
  type NetworkServiceServer,
} from '../../../sdk/core/index.js';
import { interfaceNameOf } from '../../../sdk/middleware/kernel-mechanism/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import {
  addressesOf,
  linksOf,
  netnsState,
  ping,
  type PointToPoint,
  run,
  startPointToPoint,
  tcpExchange,
  tempDir,
  type TestClient,
} from './fixtures.js';

/** Sets the MTU and a source policy route in the connection context, as an endpoint's own element would. */
function contextExtras(mtu: number, policyPrefix: string): NetworkServiceServer {
  return {
    kind: 'server',
    name: 'contextExtras',
    request: (ctx, request, next) => {
      const connection = request.connection!;
      contextOf(connection).MTU = mtu;
      const ip = ipContextOf(connection);
      const from = ip.src_ip_addrs.find((a) => a.includes('.'))!;
      ip.policies = [
        { from, proto: '', dst_port: '', src_port: '', routes: [{ prefix: policyPrefix, nextHop: '' }] },
      ];
      return next.request(ctx, request);
    },
    close: (ctx, connection, next) => next.close(ctx, connection),
  };
}

async function mtuOf(netns: string, ifname: string): Promise<number> {
  const result = await run('ip', ['-n', netns, '-j', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(result.output) as { mtu: number }[])[0]!.mtu;
}

skipUnlessRoot('embedded NSM connection tests', ['ping'])(
  'a client connects to an endpoint through the embedded NSM',
  () => {
    const sandbox = useNetnsSandbox('nsmc');
    let dir: ReturnType<typeof tempDir>;
    let bed: PointToPoint | undefined;
    let client: TestClient | undefined;

    beforeEach(() => {
      dir = tempDir();
    });

    afterEach(async () => {
      await bed?.stop();
      dir.remove();
      [bed, client] = [undefined, undefined];
    });

    async function setUp(
      extra: NetworkServiceServer[] = [],
      clientOnly = false,
    ): Promise<{ a: string; b: string; before: string[] }> {
      const a = sandbox.create('a').name;
      const b = sandbox.create('b').name;
      const before = [await netnsState(a), await netnsState(b)];
      bed = await startPointToPoint({
        a,
        b,
        socketDir: dir.path,
        ipam: { ipv4: '172.30.1', ipv6: 'fd00:30:1::', clientOnly },
        extra,
      });
      client = bed.client;
      return { a, b, before };
    }

    it('makes a veth pair with the endpoint’s addresses; ping and TCP work over IPv4 and IPv6; close removes both ends', async () => {
      const { a, b, before } = await setUp();
      const connection: Connection = await client!.request('svc');

      expect(connection.network_service_endpoint_name).toBe('nse-b');
      expect(connection.path?.path_segments.map((s) => s.name).slice(1)).toEqual([
        'nsm',
        'nsm-forwarder',
        'nse-b',
      ]);
      const clientInterface = interfaceNameOf(connection.mechanism);
      expect(clientInterface).toMatch(/^nsc-[a-z0-9]{11}$/);
      expect(await linksOf(a)).toEqual([clientInterface]);
      const [endpointInterface] = await linksOf(b);
      expect(endpointInterface).toMatch(/^nse-[a-z0-9]{11}$/);
      expect(await addressesOf(a, clientInterface)).toEqual(['172.30.1.2/32', 'fd00:30:1::2/128']);
      expect(await addressesOf(b, endpointInterface!)).toEqual(['172.30.1.1/32', 'fd00:30:1::1/128']);

      expect(await ping(a, '172.30.1.1')).toMatchObject({ status: 0 });
      expect(await ping(b, '172.30.1.2')).toMatchObject({ status: 0 });
      expect(await ping(a, 'fd00:30:1::1')).toMatchObject({ status: 0 });
      expect(await ping(b, 'fd00:30:1::2')).toMatchObject({ status: 0 });
      await expect(tcpExchange(b, a, '172.30.1.1')).resolves.toBe('hello over tcp');
      await expect(tcpExchange(b, a, 'fd00:30:1::1')).resolves.toBe('hello over tcp');

      await client!.close(connection);
      expect([await netnsState(a), await netnsState(b)]).toEqual(before);
    });

    it('applies the MTU and policy routes of the connection context, and removes the rules on close', async () => {
      const { a, b, before } = await setUp([contextExtras(1400, '192.0.2.0/24')]);
      const connection = await client!.request('svc');
      const clientInterface = interfaceNameOf(connection.mechanism);
      const [endpointInterface] = await linksOf(b);

      expect(await mtuOf(a, clientInterface)).toBe(1400);
      expect(await mtuOf(b, endpointInterface!)).toBe(1400);
      const rules = (await run('ip', ['-n', a, '-4', 'rule', 'show'])).output;
      const table = /from 172\.30\.1\.2 lookup (\d+)/.exec(rules)?.[1];
      expect(table).toBeDefined();
      const routes = (await run('ip', ['-n', a, '-4', 'route', 'show', 'table', table!])).output;
      expect(routes).toMatch(
        new RegExp(`^192\\.0\\.2\\.0/24 via 172\\.30\\.1\\.1 dev ${clientInterface} .*onlink`, 'm'),
      );

      await client!.close(connection);
      expect([await netnsState(a), await netnsState(b)]).toEqual(before);
    });

    it('accepts an end without addresses', async () => {
      const { a, b, before } = await setUp([], true);
      const connection = await client!.request('svc');
      const clientInterface = interfaceNameOf(connection.mechanism);
      const [endpointInterface] = await linksOf(b);

      expect(await addressesOf(a, clientInterface)).toEqual(['172.30.1.2/32', 'fd00:30:1::2/128']);
      expect(await addressesOf(b, endpointInterface!)).toEqual([]);
      const link = JSON.parse(
        (await run('ip', ['-n', b, '-j', 'link', 'show', 'dev', endpointInterface!])).output,
      ) as {
        operstate: string;
      }[];
      expect(link[0]!.operstate).toBe('UP');

      await client!.close(connection);
      expect([await netnsState(a), await netnsState(b)]).toEqual(before);
    });
  },
);
