import * as grpc from '@grpc/grpc-js';

import { registryApi } from '../../../proto/index.js';
import { timestampToMs } from '../../../sdk/core/index.js';
import {
  createRegistryClient,
  type EndpointEvent,
  type RegistryClient,
} from '../../../sdk/registry/index.js';
import { reader, type RunningRegistry, serveRegistry, socketDirectory, startRegistry } from './helpers.js';

const short = (event: EndpointEvent) => `${event.deleted ? '-' : '+'}${event.item.name}`;
const RECONNECT = { initialMs: 50, maxMs: 200 };

/** Resolves once the registry holds an endpoint of that name (at once if it already does). */
function registered(running: RunningRegistry, name: string): Promise<void> {
  return new Promise((resolve) => {
    const subscription = running.registry.watchEndpoints(
      { name },
      {
        onEvent: (event) => {
          if (!event.deleted) {
            subscription.cancel();
            resolve();
          }
        },
      },
    );
    if (subscription.snapshot.length > 0) {
      subscription.cancel();
      resolve();
    }
  });
}

/** Registers once over the raw wire, without the client's re-registration. */
async function registerOnce(address: string, name: string): Promise<void> {
  const raw = new (registryApi().registry.NetworkServiceEndpointRegistry)(
    address,
    grpc.credentials.createInsecure(),
  );
  try {
    await new Promise<void>((resolve, reject) =>
      raw.Register({ name, network_service_names: ['proxy'], url: `unix:///run/${name}.sock` }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  } finally {
    raw.close();
  }
}

describe('registry client against a real registry', () => {
  const sockets = socketDirectory();
  const started: RunningRegistry[] = [];
  const clients: RegistryClient[] = [];
  let address: string;

  const start = async (expiryMs: number) => {
    const running = await startRegistry(address, expiryMs);
    started.push(running);
    return running;
  };
  const connect = () => {
    const client = createRegistryClient({ address, callTimeoutMs: 5000, reconnect: RECONNECT });
    clients.push(client);
    return client;
  };

  beforeEach(() => {
    address = sockets.address(`registry-${Math.random().toString(36).slice(2)}.sock`);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const running of started.splice(0)) await running.stop();
  });
  afterAll(() => sockets.remove());

  it('keeps an endpoint registered past several expiries by registering it again', async () => {
    const expiryMs = 400;
    await start(expiryMs);
    const client = connect();
    const watch = reader(client.watchEndpoints({ name: 'kept' }));
    const registration = await client.registerEndpoint({
      name: 'kept',
      network_service_names: ['proxy'],
      url: 'unix:///run/kept.sock',
    });
    const initial = timestampToMs(registration.endpoint.initial_registration_time) ?? 0;
    // Read until the registry has extended the endpoint's life beyond five expiries from its first registration.
    const late = await watch.until(
      (event) => event.deleted || (timestampToMs(event.item.expiration_time) ?? 0) > initial + 5 * expiryMs,
    );
    expect(short(late)).toBe('+kept');
    expect(watch.seen.filter((event) => event.deleted)).toEqual([]);
    expect(watch.seen.every((event) => timestampToMs(event.item.initial_registration_time) === initial)).toBe(
      true,
    );
    await registration.close();
    expect(short(await watch.until((event) => event.deleted))).toBe('-kept');
    await watch.stop();
  });

  it('a watch across a registry restart reports no deletion for endpoints that register again', async () => {
    const expiryMs = 3000;
    const first = await start(expiryMs);
    const endpoints = connect();
    const watcher = connect();
    const watch = reader(watcher.watchEndpoints({ network_service_names: ['proxy'] }));

    const kept = await endpoints.registerEndpoint({
      name: 'kept',
      network_service_names: ['proxy'],
      url: 'unix:///run/kept.sock',
    });
    await registerOnce(address, 'once');
    await watch.until((event) => short(event) === '+kept');
    await watch.until((event) => short(event) === '+once');

    await first.stop();
    const second = await start(expiryMs);
    await registered(second, 'kept');
    // An endpoint registered only with the new registry shows the watch has reconnected to it.
    await registerOnce(address, 'marker');
    await watch.until((event) => short(event) === '+marker');
    expect(watch.seen.filter((event) => event.deleted)).toEqual([]);

    // 'once' never registers again: it is reported deleted when its old registration would have expired.
    expect(short(await watch.until((event) => event.item.name === 'once'))).toBe('-once');
    expect(second.registry.endpoint('kept')).toBeDefined();

    await kept.close();
    const deletions = async () => (await watch.until((event) => event.deleted)).item.name;
    expect([await deletions(), await deletions()].sort()).toEqual(['kept', 'marker']);
    expect(watch.seen.filter((event) => event.deleted && event.item.name === 'kept')).toHaveLength(1);
    await watch.stop();
  });

  it('a watch reconnecting to the same registry reports at once what was deleted meanwhile', async () => {
    const running = await start(60_000);
    const client = connect();
    running.registry.registerEndpoint({
      name: 'a',
      network_service_names: ['proxy'],
      url: 'unix:///run/a.sock',
    });
    running.registry.registerEndpoint({
      name: 'b',
      network_service_names: ['proxy'],
      url: 'unix:///run/b.sock',
    });
    const watch = reader(client.watchEndpoints());
    expect([short(await watch.next()), short(await watch.next())].sort()).toEqual(['+a', '+b']);

    // Break the streams but keep the registry's state, change it while the watch is away, serve it again.
    running.server.server.forceShutdown();
    running.registry.unregisterEndpoint('a');
    const again = await serveRegistry(address, running.registry);
    try {
      // 'a' would only expire in a minute: seeing its deletion now means the snapshot was trusted.
      expect(short(await watch.next())).toBe('-a');
      running.registry.registerEndpoint({
        name: 'c',
        network_service_names: ['proxy'],
        url: 'unix:///run/c.sock',
      });
      expect(short(await watch.next())).toBe('+c');
      expect(watch.seen.map(short).filter((event) => event.endsWith('b'))).toEqual(['+b']);
    } finally {
      await watch.stop();
      await again.stop(1000);
    }
  });
});
