import { type Client, type Endpoint, newClient, newEndpoint } from '../../../sdk/chains/index.js';
import {
  Code,
  type Connection,
  type ConnectionEvent,
  Context,
  defineServer,
  ResourceExhaustedError,
  runClose,
} from '../../../sdk/core/index.js';
import {
  GrpcChannelCache,
  grpcConnect,
  type RunningGrpcServer,
  serveEndpoint,
} from '../../../sdk/grpc/index.js';
import {
  countServer,
  type CountingServer,
  FakeClock,
  injectErrorServer,
} from '../../../sdk/testing/index.js';
import { listenAddress, type ListenAddress, TRANSPORTS } from './listen.js';

const TOKEN_LIFETIME_MS = 60_000;

/** The standard endpoint and client chains, talking over real gRPC, both on one fake clock. */
interface Rig {
  readonly clock: FakeClock;
  readonly ctx: Context;
  readonly endpoint: Endpoint;
  readonly counter: CountingServer;
  readonly client: Client;
  readonly target: string;
  readonly channels: GrpcChannelCache;
}

describe.each(TRANSPORTS)('the standard chains over gRPC (%s)', (transport) => {
  let address: ListenAddress;
  let server: RunningGrpcServer | undefined;
  let lifetime: AbortController;
  let channels: GrpcChannelCache;

  beforeEach(() => {
    address = listenAddress(transport);
    lifetime = new AbortController();
    channels = new GrpcChannelCache();
  });

  afterEach(async () => {
    lifetime.abort();
    channels.close();
    await server?.stop(100);
    server = undefined;
    address.cleanup();
  });

  async function rig(deepElements: ReturnType<typeof defineServer>[] = []): Promise<Rig> {
    const clock = new FakeClock();
    const counter = countServer();
    const endpoint = newEndpoint({
      name: 'nse-under-test',
      additional: [defineServer('first'), defineServer('second'), counter, ...deepElements],
      signal: lifetime.signal,
    });
    server = await serveEndpoint({
      listen: address.listen,
      chain: endpoint.element,
      monitor: endpoint.monitor,
      context: Context.background({ clock }),
    });
    const target = address.dial(server.port);
    const client = newClient({
      name: 'nsc-under-test',
      connectTo: grpcConnect({ target, channels }),
      // The client "stops refreshing": only explicit requests reach the endpoint.
      refresh: false,
      tokenGenerator: (ctx) => ({ token: 'nsc-token', expiresMs: ctx.clock.now() + TOKEN_LIFETIME_MS }),
      signal: lifetime.signal,
    });
    return { clock, ctx: Context.background({ clock }), endpoint, counter, client, target, channels };
  }

  it('requests, refreshes and closes through the endpoint, and a second close changes nothing', async () => {
    const r = await rig();
    const connection = await r.client.request(r.ctx, { connection: { id: 'c-1', network_service: 'svc' } });
    expect(connection.path?.path_segments.map((segment) => segment.name)).toEqual([
      'nsc-under-test',
      'nse-under-test',
    ]);
    expect(connection.path?.path_segments[0]).toMatchObject({ token: 'nsc-token' });
    // Each hop names the connection by its own segment's id, as NSM's updatepath does.
    const endpointId = connection.path!.path_segments[1]!.id;
    expect(r.endpoint.monitor.connections().map((c) => c.id)).toEqual([endpointId]);
    const refreshed = await r.client.request(r.ctx, { connection, mechanism_preferences: [] });
    expect(refreshed.id).toBe('c-1');
    expect(r.counter.requests).toBe(2);
    expect(r.counter.uniqueRequests).toBe(1);
    await r.client.close(r.ctx, refreshed);
    await r.client.close(r.ctx, refreshed);
    // A second Close sent straight to the endpoint (no client begin in front) is absorbed there too.
    await runClose(grpcConnect({ target: r.target, channels }), r.ctx, refreshed);
    expect(r.counter.closes).toBe(1);
    expect(r.endpoint.monitor.connections()).toEqual([]);
  });

  it('returns an error injected deep in the endpoint chain with its code and message', async () => {
    const r = await rig([
      injectErrorServer({
        error: new ResourceExhaustedError('no address left in 10.0.0.0/30'),
        requestErrorTimes: [0],
      }),
    ]);
    const failure = r.client.request(r.ctx, { connection: { id: 'c-2', network_service: 'svc' } });
    await expect(failure).rejects.toBeInstanceOf(ResourceExhaustedError);
    await expect(failure).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
      message: 'no address left in 10.0.0.0/30',
    });
    // The endpoint undid the failed request: nothing is held, and the next request succeeds.
    expect(r.endpoint.monitor.connections()).toEqual([]);
    await expect(
      r.client.request(r.ctx, { connection: { id: 'c-2', network_service: 'svc' } }),
    ).resolves.toMatchObject({ id: 'c-2' });
  });

  it('closes a connection whose client stopped refreshing when its token expires, and the monitor stream shows it', async () => {
    const r = await rig();
    const watching = new AbortController();
    const monitor = channels.monitorConnection(r.target);
    const events = monitor.monitorConnections({}, { signal: watching.signal });
    const nextEvent = async (): Promise<ConnectionEvent> => {
      const { value, done } = await events.next();
      if (done) throw new Error('the monitor stream ended early');
      return value;
    };
    await expect(nextEvent()).resolves.toEqual({ type: 'INITIAL_STATE_TRANSFER', connections: {} });

    const connection: Connection = await r.client.request(r.ctx, {
      connection: { id: 'c-3', network_service: 'svc' },
    });
    const endpointId = connection.path!.path_segments[1]!.id;
    const update = await nextEvent();
    expect(update.type).toBe('UPDATE');
    expect(update.connections[endpointId]).toMatchObject({ id: endpointId, network_service: 'svc' });

    await r.clock.advance(TOKEN_LIFETIME_MS - 1_000);
    expect(r.counter.closes).toBe(0);
    await r.clock.advance(2_000);
    const deleted = await nextEvent();
    expect(deleted.type).toBe('DELETE');
    expect(Object.keys(deleted.connections)).toEqual([endpointId]);
    expect(r.counter.closes).toBe(1);
    expect(r.endpoint.monitor.connections()).toEqual([]);

    watching.abort();
    await expect(events.next()).resolves.toMatchObject({ done: true });
  });
});
