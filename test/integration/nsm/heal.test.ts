import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { startNsm, type RunningNsm } from '../../../endpoints/nsm/index.js';
import type { Connection } from '../../../sdk/core/index.js';
import { interfaceNameOf } from '../../../sdk/middleware/kernel-mechanism/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import {
  addressesOf,
  keepRegistered,
  linksOf,
  netnsState,
  ping,
  registrationOf,
  startTestClient,
  startTestEndpoint,
  tcpExchange,
  tempDir,
  testLogger,
  type TestClient,
  type TestEndpoint,
  type TestEndpointOptions,
} from './fixtures.js';

const REGISTRY_EXPIRY_MS = 3000;

/** Resolves with the first returned connection `accept` takes, or rejects after `timeoutMs`. */
function waitForReturned(
  subscribe: (listener: (connection: Connection) => void) => void,
  accept: (connection: Connection) => boolean,
  timeoutMs: number,
): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no healed connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    subscribe((connection) => {
      if (!accept(connection)) return;
      clearTimeout(timer);
      resolve(connection);
    });
  });
}

skipUnlessRoot('embedded NSM heal tests', ['ping'])('a client heals to another endpoint', () => {
  const sandbox = useNetnsSandbox('nsmh');
  let dir: ReturnType<typeof tempDir>;
  let nsm: RunningNsm | undefined;
  const endpoints: TestEndpoint[] = [];
  const keepers: { stop(): void }[] = [];
  let client: TestClient | undefined;

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    client?.stop();
    for (const keeper of keepers.splice(0)) keeper.stop();
    for (const endpoint of endpoints.splice(0)) await endpoint.stop();
    await nsm?.stop();
    dir.remove();
    [client, nsm] = [undefined, undefined];
  });

  interface Served {
    readonly endpoint: TestEndpoint;
    readonly keeper: { stop(): void };
    readonly netns: string;
    /** The first three octets of its IPv4 pool. */
    readonly prefix: string;
  }

  /** An NSM, two endpoints of `svc` (in b1 and b2) and a healing client in a, connected to one of them. */
  async function connected(): Promise<{
    a: string;
    used: Served;
    other: Served;
    healedTo: (endpoint: Served) => Promise<Connection>;
    states: () => Promise<string[]>;
    before: string[];
  }> {
    const a = sandbox.create('a').name;
    const b1 = sandbox.create('b1').name;
    const b2 = sandbox.create('b2').name;
    const states = async (): Promise<string[]> => Promise.all([a, b1, b2].map((ns) => netnsState(ns)));
    const before = await states();
    nsm = await startNsm({
      socket: join(dir.path, 'nsm.sock'),
      registryExpiryMs: REGISTRY_EXPIRY_MS,
      logger: testLogger(),
    });
    const byName = new Map<string, Served>();
    for (const [index, netns] of [b1, b2].entries()) {
      const options: TestEndpointOptions = {
        name: `nse-${index + 1}`,
        service: 'svc',
        netns,
        socketDir: dir.path,
        ipam: { ipv4: `172.30.${index + 11}`, ipv6: `fd00:30:${index + 11}::` },
      };
      const endpoint = await startTestEndpoint(options);
      const keeper = keepRegistered(nsm.registry, registrationOf(endpoint, options));
      endpoints.push(endpoint);
      keepers.push(keeper);
      byName.set(endpoint.name, { endpoint, keeper, netns, prefix: `172.30.${index + 11}` });
    }
    const listeners: ((connection: Connection) => void)[] = [];
    client = startTestClient({
      nsmAddress: nsm.address,
      netns: a,
      heal: true,
      onReturned: (connection) => listeners.forEach((listener) => listener(connection)),
    });
    const first = await client.request('svc');
    const used = byName.get(first.network_service_endpoint_name)!;
    const other = [...byName.values()].find((e) => e !== used)!;
    expect(await ping(a, `${used.prefix}.1`)).toMatchObject({ status: 0 });
    const healedTo = (endpoint: Served): Promise<Connection> =>
      waitForReturned(
        (listener) => listeners.push(listener),
        (c) => c.network_service_endpoint_name === endpoint.endpoint.name,
        REGISTRY_EXPIRY_MS + 2000,
      );
    return { a, used, other, healedTo, states, before };
  }

  /** The client's only interface is the healed one, addressed from `other`'s pool, and carries traffic. */
  async function expectWorkingPath(
    a: string,
    used: Served,
    other: Served,
    connection: Connection,
  ): Promise<void> {
    const clientInterface = interfaceNameOf(connection.mechanism);
    const third = other.prefix.split('.')[2];
    expect(await linksOf(a)).toEqual([clientInterface]);
    expect(await linksOf(used.netns)).toEqual([]);
    expect(await addressesOf(a, clientInterface)).toEqual([
      `${other.prefix}.2/32`,
      `fd00:30:${third}::2/128`,
    ]);
    expect(await ping(a, `${other.prefix}.1`)).toMatchObject({ status: 0 });
    expect(await ping(a, `fd00:30:${third}::1`)).toMatchObject({ status: 0 });
    await expect(tcpExchange(other.netns, a, `${other.prefix}.1`)).resolves.toBe('hello over tcp');
  }

  it('moves the connection to the other endpoint when the used one is killed, within the registry expiry + 2 s', async () => {
    const { a, used, other, healedTo, states, before } = await connected();
    const healed = healedTo(other);
    const killedAt = performance.now();
    used.keeper.stop();
    used.endpoint.kill();
    const connection = await healed;
    const healMs = Math.round(performance.now() - killedAt);
    console.log(
      `embedded NSM heal: the connection moved to ${other.endpoint.name} ${healMs} ms after ${used.endpoint.name} was killed`,
    );
    await expectWorkingPath(a, used, other, connection);
    await client!.close(connection);
    expect(await states()).toEqual(before);
  });

  it('moves the connection when the used endpoint stops registering and expires, though it still serves', async () => {
    const { a, used, other, healedTo, states, before } = await connected();
    const healed = healedTo(other);
    const stoppedAt = performance.now();
    used.keeper.stop();
    const connection = await healed;
    const healMs = Math.round(performance.now() - stoppedAt);
    console.log(
      `embedded NSM heal: the connection moved to ${other.endpoint.name} ${healMs} ms after ${used.endpoint.name} stopped registering (expiry ${REGISTRY_EXPIRY_MS} ms)`,
    );
    await expectWorkingPath(a, used, other, connection);
    expect(used.endpoint.counter.closes).toBeGreaterThanOrEqual(1);
    await client!.close(connection);
    expect(await states()).toEqual(before);
  });
});
