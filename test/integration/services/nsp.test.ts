import * as grpc from '@grpc/grpc-js';

import { nspApi } from '../../../proto/index.js';
import type { NetworkServicePlateformServiceClient } from '../../../proto/gen/nsp/NetworkServicePlateformService.js';
import type { Target, Target__Output } from '../../../proto/gen/nsp/Target.js';
import { AlreadyExistsError, Code } from '../../../sdk/core/index.js';
import { startGrpcServer } from '../../../sdk/grpc/index.js';
import {
  NSP_SERVICE_NAME,
  SNAPSHOT_SIZE_HEADER,
  createNspClient,
  createTargetRegistrar,
  watchTargets,
  type NspClient,
  type TargetChange,
} from '../../../sdk/services/nsp/index.js';
import { startNspService, type RunningNspService } from '../../../endpoints/nsp/index.js';
import { eventually, healthStatus, scratch, silent, take } from './helpers.js';

function target(
  n: number,
  extra: Record<string, string> = {},
): { ips: string[]; context: Record<string, string> } {
  return {
    ips: [`172.16.${n >> 8}.${n & 255}/24`, `fd00::${n.toString(16)}/64`],
    context: { identifier: String(n), ...extra },
  };
}

function brief(message: Target__Output): string {
  return `${message.status} ${message.ips[0]} ${message.context['identifier'] ?? '-'}`;
}

function rawClient(listen: string): NetworkServicePlateformServiceClient {
  return new (nspApi().nsp.NetworkServicePlateformService)(listen, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
}

function rawRegister(
  client: NetworkServicePlateformServiceClient,
  method: 'Register' | 'Unregister',
  request: Target,
): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    client[method](request, (error) =>
      resolve({ code: error?.code ?? Code.OK, details: error?.details ?? '' }),
    );
  });
}

/** A Monitor stream read one message at a time, with the snapshot size from its headers. */
function monitor(client: NetworkServicePlateformServiceClient) {
  const call = client.Monitor({});
  // Iteration reports failures; without a listener, a stream left open by a failed test would crash the others.
  call.on('error', () => undefined);
  const headers = new Promise<string | undefined>((resolve) =>
    call.once('metadata', (metadata: grpc.Metadata) =>
      resolve(metadata.get(SNAPSHOT_SIZE_HEADER)[0]?.toString()),
    ),
  );
  const iterator = (call as AsyncIterable<Target__Output>)[Symbol.asyncIterator]();
  return { call, headers, iterator };
}

describe('NSP service over gRPC', () => {
  const dirs = scratch('nsp');
  const listen = dirs.socket('nsp.sock');
  let service: RunningNspService;
  let raw: NetworkServicePlateformServiceClient;
  let clients: NspClient[];

  beforeAll(async () => {
    service = await startNspService({
      listen,
      databasePath: dirs.path('nsp.db'),
      keepaliveMs: 600_000,
      logger: silent,
    });
    raw = rawClient(listen);
    clients = Array.from({ length: 10 }, () =>
      createNspClient({ address: listen, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } }),
    );
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    raw.close();
    await service.stop();
    dirs.remove();
  });

  it('reports itself SERVING on the health service', async () => {
    expect(await healthStatus(listen, NSP_SERVICE_NAME)).toBe('SERVING');
  });

  it('registers 1,000 targets; a later subscriber sees all 1,000, then every change in order', async () => {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => clients[i % 10]?.register(target(i + 1))));
    const late = monitor(raw);
    expect(await late.headers).toBe('1000');
    const snapshot = await take(late.iterator, 1000);
    expect(new Set(snapshot.map((message) => message.context['identifier']))).toEqual(
      new Set(Array.from({ length: 1000 }, (_, i) => String(i + 1))),
    );
    expect(snapshot.every((message) => message.status === 'Register')).toBe(true);

    const client = clients[0] as NspClient;
    await client.register(target(1001));
    await client.register(target(5, { weight: '2' }));
    await client.register(target(5, { weight: '2' }));
    await client.unregister(target(7));
    await client.unregister(target(7));
    expect((await take(late.iterator, 4)).map(brief)).toEqual([
      'Register 172.16.3.233/24 1001',
      'Unregister 172.16.0.5/24 5',
      'Register 172.16.0.5/24 5',
      'Unregister 172.16.0.7/24 7',
    ]);
    late.call.cancel();
    const listed = await client.getTargets();
    expect(listed).toHaveLength(1000);
    expect(listed.find((t) => t.context['identifier'] === '5')?.context).toEqual({
      identifier: '5',
      weight: '2',
    });
  });

  it('refuses a duplicate identifier with ALREADY_EXISTS naming the holder, and stores nothing', async () => {
    const before = service.registry.size;
    expect(
      await rawRegister(raw, 'Register', { ips: ['172.16.200.1/24'], context: { identifier: '3' } }),
    ).toEqual({
      code: Code.ALREADY_EXISTS,
      details:
        'identifier 3 is held by target 172.16.0.3/24,fd00::3/64 (identifier 3); pick another identifier',
    });
    const refused = (clients[1] as NspClient).register({
      ips: ['172.16.200.1/24'],
      context: { identifier: '3' },
    });
    await expect(refused).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(service.registry.size).toBe(before);
  });

  it.each<[string, Target, string]>([
    [
      'no IPs',
      { ips: [], context: { identifier: '2000' } },
      'a target needs at least one IP address (one per family)',
    ],
    [
      'an invalid IP',
      { ips: ['172.16.1.256'], context: { identifier: '2000' } },
      'target IP "172.16.1.256" is not a valid IP address (write 172.16.1.2, 172.16.1.2/24, fd00::2 or fd00::2/64)',
    ],
    [
      'two IPv6 addresses',
      { ips: ['fd00::7:1', 'fd00::7:2'], context: {} },
      'target has two IPv6 addresses (fd00::7:1 and fd00::7:2); a target has one address per family',
    ],
  ])(
    'refuses a target with %s: INVALID_ARGUMENT with a sentence, nothing stored',
    async (_case, request, details) => {
      const before = service.registry.size;
      expect(await rawRegister(raw, 'Register', request)).toEqual({ code: Code.INVALID_ARGUMENT, details });
      expect(await rawRegister(raw, 'Unregister', request)).toEqual({ code: Code.INVALID_ARGUMENT, details });
      expect(service.registry.size).toBe(before);
    },
  );

  it('treats Unregister of an unknown target as done', async () => {
    expect(await rawRegister(raw, 'Unregister', { ips: ['10.99.0.1'] })).toEqual({
      code: Code.OK,
      details: '',
    });
  });

  it('keeps streaming to every subscriber while one does not read', async () => {
    const stalled = monitor(raw);
    stalled.call.pause();
    const reading = monitor(rawClient(listen));
    const snapshotSize = Number(await reading.headers);
    await take(reading.iterator, snapshotSize);
    const padding = { padding: 'x'.repeat(650), more: 'y'.repeat(650) };
    const numbers = Array.from({ length: 2000 }, (_, i) => 3000 + i);
    // About 2.7 MB of events: more than HTTP/2 flow control and the socket buffers take for a
    // subscriber that does not read, so the server holds them in that subscriber's queue.
    for (let batch = 0; batch < numbers.length; batch += 50) {
      await Promise.all(
        numbers.slice(batch, batch + 50).map((n, i) => clients[i % 10]?.register(target(n, padding))),
      );
    }
    const live = (await take(reading.iterator, numbers.length)).map(
      (message) => message.context['identifier'],
    );
    expect(new Set(live)).toEqual(new Set(numbers.map(String)));
    stalled.call.resume();
    const all = await take(stalled.iterator, Number(await stalled.headers) + numbers.length);
    expect(all.slice(-numbers.length).map((message) => message.context['identifier'])).toEqual(live);
    stalled.call.cancel();
    reading.call.cancel();
    // In batches, as registered: 2,000 calls at once can outlast their deadline on a loaded machine.
    for (let batch = 0; batch < numbers.length; batch += 50) {
      await Promise.all(
        numbers.slice(batch, batch + 50).map((n, i) => clients[i % 10]?.unregister(target(n))),
      );
    }
  });

  it('gives a watcher the full view as additions, then the changes', async () => {
    const client = clients[3] as NspClient;
    const watcher = watchTargets(client);
    const changes = watcher[Symbol.asyncIterator]();
    await watcher.synced;
    const initial = await take(changes, service.registry.size);
    expect(initial.every((change) => change.kind === 'added')).toBe(true);
    expect(watcher.targets()).toHaveLength(service.registry.size);
    await client.register(target(1500));
    await client.unregister(target(1500));
    expect(
      (await take(changes, 2)).map((change: TargetChange) => `${change.kind} ${change.target.ips[0]}`),
    ).toEqual(['added 172.16.5.220/24', 'removed 172.16.5.220/24']);
    watcher.close();
    expect((await changes.next()).done).toBe(true);
  });
});

describe('NSP keepalive', () => {
  const dirs = scratch('nsp-keepalive');
  const listen = dirs.socket('nsp.sock');
  const KEEPALIVE = 1500;
  let service: RunningNspService;
  let client: NspClient;

  beforeAll(async () => {
    service = await startNspService({
      listen,
      databasePath: dirs.path('nsp.db'),
      keepaliveMs: KEEPALIVE,
      logger: silent,
    });
    client = createNspClient({ address: listen });
  });

  afterAll(async () => {
    client.close();
    await service.stop();
    dirs.remove();
  });

  it('announces a target gone when it stops re-registering, and keeps one whose registrar refreshes it', async () => {
    const stream = monitor(rawClient(listen));
    await stream.headers;
    const registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE });
    await registrar.register(target(1));
    await client.register(target(2));
    const events = await take(stream.iterator, 3);
    expect(events.map(brief)).toEqual([
      'Register 172.16.0.1/24 1',
      'Register 172.16.0.2/24 2',
      'Unregister 172.16.0.2/24 2',
    ]);
    // Target 2 expired after one keepalive; target 1 was refreshed meanwhile and is still there.
    expect(service.registry.targets().map((t) => t.ips[0])).toEqual(['172.16.0.1/24']);
    registrar.close();
    expect(brief((await take(stream.iterator, 1))[0] as Target__Output)).toBe('Unregister 172.16.0.1/24 1');
    stream.call.cancel();
  });
});

describe('NSP watcher against a server without the snapshot header', () => {
  it('takes GetTargets as the view and applies the stream after it', async () => {
    const dirs = scratch('nsp-upstream');
    const listen = dirs.socket('nsp.sock');
    const registered = [target(1), target(2)];
    let push: ((message: Target) => void) | undefined;
    // A minimal NSP in the upstream manner: Monitor replays the targets with no header, then streams.
    const server = await startGrpcServer({
      listen,
      services: [
        {
          name: NSP_SERVICE_NAME,
          definition: nspApi().nsp.NetworkServicePlateformService.service,
          implementation: {
            Register: (_call: unknown, done: grpc.sendUnaryData<object>) => done(null, {}),
            Unregister: (_call: unknown, done: grpc.sendUnaryData<object>) => done(null, {}),
            GetTargets: (_call: unknown, done: grpc.sendUnaryData<object>) =>
              done(null, { targets: registered }),
            Monitor: (call: grpc.ServerWritableStream<object, Target>) => {
              for (const message of registered) call.write({ ...message, status: 'Register' });
              push = (message) => call.write(message);
            },
          },
        },
      ],
    });
    const client = createNspClient({ address: listen });
    const watcher = watchTargets(client);
    try {
      const changes = watcher[Symbol.asyncIterator]();
      await watcher.synced;
      expect((await take(changes, 2)).map((change) => change.kind)).toEqual(['added', 'added']);
      await eventually(() => push !== undefined, 'the monitor stream is open');
      push?.({ ...target(1), status: 'Unregister' });
      expect((await take(changes, 1)).map((change) => `${change.kind} ${change.target.ips[0]}`)).toEqual([
        'removed 172.16.0.1/24',
      ]);
    } finally {
      watcher.close();
      client.close();
      await server.stop(100);
      dirs.remove();
    }
  });
});
