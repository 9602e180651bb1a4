import { join } from 'node:path';

import { startNsm, type RunningNsm } from '../../../endpoints/nsm/index.js';
import { Code, codeOf, type Connection, messageOf } from '../../../sdk/core/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import {
  keepRegistered,
  linksOf,
  netnsState,
  registrationOf,
  startTestClient,
  startTestEndpoint,
  tempDir,
  testLogger,
  type TestClient,
  type TestEndpoint,
  type TestEndpointOptions,
} from './fixtures.js';

skipUnlessRoot('embedded NSM label tests')('endpoint selection by labels', () => {
  const sandbox = useNetnsSandbox('nsml');
  let dir: ReturnType<typeof tempDir>;
  let nsm: RunningNsm | undefined;
  const endpoints: TestEndpoint[] = [];
  const keepers = new Map<string, { stop(): void }>();
  let client: TestClient | undefined;

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    client?.stop();
    for (const keeper of keepers.values()) keeper.stop();
    keepers.clear();
    for (const endpoint of endpoints.splice(0)) await endpoint.stop();
    await nsm?.stop();
    dir.remove();
    [client, nsm] = [undefined, undefined];
  });

  /** An NSM with `svc` matched by node name (as Meridio's proxy service), and one endpoint per node. */
  async function setUp(
    nodes: string[],
  ): Promise<{ a: string; states: () => Promise<string[]>; before: string[] }> {
    const a = sandbox.create('a').name;
    const namespaces = nodes.map((node) => sandbox.create(node).name);
    const states = async (): Promise<string[]> => Promise.all([a, ...namespaces].map((ns) => netnsState(ns)));
    const before = await states();
    nsm = await startNsm({ socket: join(dir.path, 'nsm.sock'), logger: testLogger() });
    nsm.registry.registerService({
      name: 'svc',
      matches: [{ source_selector: {}, routes: [{ destination_selector: { nodeName: '{{.nodeName}}' } }] }],
    });
    for (const [index, node] of nodes.entries()) {
      const options: TestEndpointOptions = {
        name: `nse-${node}`,
        service: 'svc',
        netns: namespaces[index]!,
        socketDir: dir.path,
        ipam: { ipv4: `172.30.${41 + index}` },
        labels: { nodeName: node },
      };
      const endpoint = await startTestEndpoint(options);
      endpoints.push(endpoint);
      keepers.set(node, keepRegistered(nsm.registry, registrationOf(endpoint, options)));
    }
    client = startTestClient({ nsmAddress: nsm.address, netns: a });
    return { a, states, before };
  }

  it('a client asking for nodeName=n2 is connected to the endpoint of n2, never to that of n1', async () => {
    const { states, before } = await setUp(['n1', 'n2']);
    const connections: Connection[] = [];
    for (let i = 0; i < 6; i++) connections.push(await client!.request('svc', { nodeName: 'n2' }));
    expect(connections.map((c) => c.network_service_endpoint_name)).toEqual(Array(6).fill('nse-n2'));
    const other = await client!.request('svc', { nodeName: 'n1' });
    expect(other.network_service_endpoint_name).toBe('nse-n1');
    for (const connection of [...connections, other]) await client!.close(connection);
    expect(await states()).toEqual(before);
  });

  it('with only n1 serving, a request for nodeName=n2 fails with NOT_FOUND and makes nothing', async () => {
    const { a, states, before } = await setUp(['n1']);
    const error = await client!.request('svc', { nodeName: 'n2' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(codeOf(error)).toBe(Code.NOT_FOUND);
    expect(messageOf(error)).toBe(
      'none of the 1 endpoints of network service "svc" matches a request with labels {nodeName=n2}',
    );
    expect(await linksOf(a)).toEqual([]);
    expect(endpoints[0]!.counter.requests).toBe(0);
    expect(await states()).toEqual(before);
  });
});
