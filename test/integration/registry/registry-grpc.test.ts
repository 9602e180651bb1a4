import * as grpc from '@grpc/grpc-js';

import { registryApi } from '../../../proto/index.js';
import { Code, codeOf, InvalidArgumentError, timestampToMs } from '../../../sdk/core/index.js';
import {
  createRegistryClient,
  type EndpointEvent,
  REGISTRY_INSTANCE_HEADER,
  REGISTRY_SNAPSHOT_SIZE_HEADER,
  type RegistryClient,
} from '../../../sdk/registry/index.js';
import { reader, type RunningRegistry, socketDirectory, startRegistry } from './helpers.js';

const short = (event: EndpointEvent) => `${event.deleted ? '-' : '+'}${event.item.name}`;

describe('registry over gRPC on a unix socket', () => {
  const sockets = socketDirectory();
  let running: RunningRegistry;
  let client: RegistryClient;
  let address: string;

  beforeEach(async () => {
    address = sockets.address(`registry-${Math.random().toString(36).slice(2)}.sock`);
    running = await startRegistry(address, 800);
    client = createRegistryClient({ address, callTimeoutMs: 3000, reconnect: { initialMs: 50, maxMs: 200 } });
  });
  afterEach(async () => {
    client.close();
    await running.stop();
  });
  afterAll(() => sockets.remove());

  it('registers, finds, watches and unregisters endpoints', async () => {
    const watch = reader(client.watchEndpoints({ network_service_names: ['proxy'] }));
    const a = await client.registerEndpoint({
      name: 'proxy-a',
      network_service_names: ['proxy'],
      network_service_labels: { proxy: { labels: { nodeName: 'n1' } } },
      url: 'unix:///run/proxy-a.sock',
    });
    expect(short(await watch.next())).toBe('+proxy-a');
    expect(timestampToMs(a.endpoint.expiration_time)).toBeGreaterThan(Date.now());
    const lb = await client.registerEndpoint({
      network_service_names: ['load-balancer'],
      url: 'unix:///run/lb.sock',
    });
    expect(lb.endpoint.name).toMatch(/^endpoint-[0-9a-f-]{36}$/);

    const byLabel = await client.findEndpoints({
      network_service_labels: { proxy: { labels: { nodeName: 'n1' } } },
    });
    expect(byLabel.map((e) => e.name)).toEqual(['proxy-a']);
    expect((await client.findEndpoints()).map((e) => e.name).sort()).toEqual(
      [lb.endpoint.name, 'proxy-a'].sort(),
    );
    expect(await client.findEndpoints({ name: 'proxy' })).toEqual([]);

    await a.close();
    expect(short(await watch.until((event) => event.deleted))).toBe('-proxy-a');
    expect((await client.findEndpoints()).map((e) => e.name)).toEqual([lb.endpoint.name]);
    await lb.close();
    await watch.stop();
  });

  it('streams an endpoint that is not registered again as deleted when it expires', async () => {
    const watch = reader(client.watchEndpoints({ name: 'once' }));
    const raw = new (registryApi().registry.NetworkServiceEndpointRegistry)(
      address,
      grpc.credentials.createInsecure(),
    );
    await new Promise<void>((resolve, reject) =>
      raw.Register(
        { name: 'once', network_service_names: ['proxy'], url: 'unix:///run/once.sock' },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    raw.close();
    expect(short(await watch.next())).toBe('+once');
    const deleted = await watch.next();
    expect(short(deleted)).toBe('-once');
    expect(running.registry.endpoint('once')).toBeUndefined();
    await watch.stop();
  });

  it('sends the instance and snapshot size headers and echoes the NSM path header', async () => {
    running.registry.registerEndpoint({
      name: 'x',
      network_service_names: ['proxy'],
      url: 'unix:///run/x.sock',
    });
    const raw = new (registryApi().registry.NetworkServiceEndpointRegistry)(
      address,
      grpc.credentials.createInsecure(),
    );
    const metadata = new grpc.Metadata();
    const path = JSON.stringify({ Index: 0, PathSegments: [{ token: 't' }] });
    metadata.set('path', path);
    const call = raw.Find({ network_service_endpoint: {}, watch: true }, metadata);
    const headers = await new Promise<grpc.Metadata>((resolve) => call.once('metadata', resolve));
    expect(headers.get(REGISTRY_INSTANCE_HEADER)).toEqual([running.registry.instanceId]);
    expect(headers.get(REGISTRY_SNAPSHOT_SIZE_HEADER)).toEqual(['1']);
    expect(headers.get('path')).toEqual([path]);
    call.on('error', () => undefined);
    call.cancel();
    raw.close();
  });

  it('answers bad input with INVALID_ARGUMENT and a sentence', async () => {
    const attempts: Array<[Promise<unknown>, RegExp]> = [
      [client.registerEndpoint({ name: 'x', network_service_names: ['proxy'], url: '' }), /"x" has no url/],
      [client.registerEndpoint({ name: 'x', url: 'unix:///run/x.sock' }), /serves no network service/],
      [client.unregisterEndpoint(''), /needs the name of the network service endpoint/],
      [client.registerService({ name: '' }), /network service must have a name/],
    ];
    for (const [attempt, message] of attempts) {
      const error = await attempt.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(codeOf(error)).toBe(Code.INVALID_ARGUMENT);
      expect((error as Error).message).toMatch(message);
    }
    expect(running.registry.findEndpoints()).toEqual([]);
  });

  it('ends a watch when its signal aborts and rejects a find whose signal is aborted', async () => {
    const controller = new AbortController();
    const watch = reader(client.watchEndpoints({}, controller.signal));
    running.registry.registerEndpoint({
      name: 'w',
      network_service_names: ['proxy'],
      url: 'unix:///run/w.sock',
    });
    expect(short(await watch.next())).toBe('+w');
    controller.abort();
    await expect(watch.next()).rejects.toThrow('the watch ended');
    const aborted = AbortSignal.abort(new Error('gave up'));
    await expect(client.findEndpoints({}, { signal: aborted })).rejects.toThrow('gave up');
  });

  it('registers, finds, watches and unregisters network services', async () => {
    const watch = reader(client.watchServices({ name: 'proxy' }));
    const registration = await client.registerService({
      name: 'proxy',
      payload: 'ETHERNET',
      matches: [
        {
          source_selector: { nodeName: '{{.nodeName}}' },
          routes: [{ destination_selector: { nodeName: '{{.nodeName}}' } }],
        },
      ],
    });
    await client.registerService({ name: 'load-balancer', payload: 'ETHERNET' });
    const added = await watch.next();
    expect(added.deleted).toBe(false);
    expect(added.item.matches[0]?.routes[0]?.destination_selector).toEqual({ nodeName: '{{.nodeName}}' });
    expect((await client.findServices({ payload: 'ETHERNET' })).map((s) => s.name).sort()).toEqual([
      'load-balancer',
      'proxy',
    ]);
    await registration.close();
    expect(running.registry.service('proxy')).toBeDefined();
    await client.unregisterService('proxy');
    const removed = await watch.next();
    expect([removed.deleted, removed.item.name]).toEqual([true, 'proxy']);
    await watch.stop();
  });
});
