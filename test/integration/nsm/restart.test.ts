import { join } from 'node:path';

import type { Connection } from '../../../sdk/core/index.js';
import { interfaceNameOf } from '../../../sdk/middleware/kernel-mechanism/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import {
  addressesOf,
  linksOf,
  netnsState,
  ping,
  registerOverGrpc,
  registrationOf,
  run,
  startTestClient,
  startTestEndpoint,
  tcpExchange,
  tempDir,
  type TestClient,
  type TestEndpoint,
} from './fixtures.js';
import { type NsmProcess, startNsmProcess } from './nsm-process.js';

/** Two `meridio nsm` process starts each; generous for a loaded CI machine (alone it takes ~3 s). */
const TEST_TIMEOUT_MS = 60_000;

async function indexOf(netns: string, ifname: string): Promise<number> {
  const result = await run('ip', ['-n', netns, '-j', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(result.output) as { ifindex: number }[])[0]!.ifindex;
}

/** Polls `condition` every 100 ms until it holds, or fails after `timeoutMs` saying what was awaited. */
async function eventually(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

skipUnlessRoot('embedded NSM restart tests', ['ping'])(
  'the NSM process restarts under established connections',
  () => {
    const sandbox = useNetnsSandbox('nsmr');
    let dir: ReturnType<typeof tempDir>;
    let nsm: NsmProcess | undefined;
    let endpoint: TestEndpoint | undefined;
    let registration: { close(): Promise<void> } | undefined;
    let client: TestClient | undefined;

    beforeEach(() => {
      dir = tempDir();
    });

    afterEach(async () => {
      client?.stop();
      await registration?.close();
      await endpoint?.stop();
      await nsm?.stop();
      dir.remove();
      [client, registration, endpoint, nsm] = [undefined, undefined, undefined, undefined];
    });

    it(
      'keeps the data path up while it is away; afterwards the client refreshes through it and the pair is adopted',
      async () => {
        const a = sandbox.create('a').name;
        const b = sandbox.create('b').name;
        const before = [await netnsState(a), await netnsState(b)];
        const socket = join(dir.path, 'nsm.sock');
        const args = ['--registry-expiry', '3s'];
        nsm = await startNsmProcess(socket, args);
        const options = {
          name: 'nse-b',
          service: 'svc',
          netns: b,
          socketDir: dir.path,
          ipam: { ipv4: '172.30.21', ipv6: 'fd00:30:21::' },
        };
        endpoint = await startTestEndpoint(options);
        registration = await registerOverGrpc(`unix://${socket}`, registrationOf(endpoint, options));
        const returned: Connection[] = [];
        client = startTestClient({
          nsmAddress: `unix://${socket}`,
          netns: a,
          heal: true,
          tokenLifetimeMs: 3000,
          onReturned: (connection) => returned.push(connection),
        });
        const connection = await client.request('svc');
        const clientInterface = interfaceNameOf(connection.mechanism);
        const [endpointInterface] = await linksOf(b);
        const indices = [await indexOf(a, clientInterface), await indexOf(b, endpointInterface!)];

        await nsm.kill();
        expect(await ping(a, '172.30.21.1')).toMatchObject({ status: 0 });
        expect(await ping(a, 'fd00:30:21::1')).toMatchObject({ status: 0 });
        const reachedEndpoint = endpoint.counter.requests;
        const returnedBefore = returned.length;
        nsm = await startNsmProcess(socket, args);

        await eventually(
          'two refreshes through the restarted NSM',
          () => endpoint!.counter.requests >= reachedEndpoint + 2 && returned.length >= returnedBefore + 2,
          15_000,
        );
        expect(
          returned.slice(returnedBefore).every((c) => interfaceNameOf(c.mechanism) === clientInterface),
        ).toBe(true);
        expect([await indexOf(a, clientInterface), await indexOf(b, endpointInterface!)]).toEqual(indices);
        expect(await linksOf(a)).toEqual([clientInterface]);
        expect(await addressesOf(a, clientInterface)).toEqual(['172.30.21.2/32', 'fd00:30:21::2/128']);
        expect(await ping(a, '172.30.21.1')).toMatchObject({ status: 0 });
        await expect(tcpExchange(b, a, 'fd00:30:21::1')).resolves.toBe('hello over tcp');

        await client.close(returned.at(-1)!);
        expect([await netnsState(a), await netnsState(b)]).toEqual(before);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'closes a connection made before the restart: the pair and the endpoint side go',
      async () => {
        const a = sandbox.create('a').name;
        const b = sandbox.create('b').name;
        const before = [await netnsState(a), await netnsState(b)];
        const socket = join(dir.path, 'nsm.sock');
        nsm = await startNsmProcess(socket, ['--registry-expiry', '3s']);
        const options = {
          name: 'nse-b',
          service: 'svc',
          netns: b,
          socketDir: dir.path,
          ipam: { ipv4: '172.30.22' },
        };
        endpoint = await startTestEndpoint(options);
        registration = await registerOverGrpc(`unix://${socket}`, registrationOf(endpoint, options));
        client = startTestClient({ nsmAddress: `unix://${socket}`, netns: a });
        const connection = await client.request('svc');
        expect(await linksOf(a)).toHaveLength(1);

        await nsm.kill();
        nsm = await startNsmProcess(socket, ['--registry-expiry', '3s']);
        await client.close(connection);

        expect(endpoint.counter.closes).toBe(1);
        expect([await netnsState(a), await netnsState(b)]).toEqual(before);
      },
      TEST_TIMEOUT_MS,
    );
  },
);
