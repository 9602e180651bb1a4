import { newClient, newEndpoint } from '../../../sdk/chains/index.js';
import {
  type Connection,
  type ConnectionEvent,
  connectInProcess,
  Context,
  currentSegment,
  type HealSelector,
  healClient,
  type MonitorConnectionSource,
  State,
  timestampToMs,
  UnavailableError,
} from '../../../sdk/core/index.js';
import {
  checkRequestServer,
  countServer,
  describeElementContract,
  injectErrorServer,
} from '../../../sdk/testing/index.js';

/** One MonitorConnections stream whose events and failure the test decides. */
class ScriptedStream implements AsyncIterable<ConnectionEvent> {
  private readonly queue: (ConnectionEvent | Error)[] = [];
  private wake: (() => void) | undefined;

  constructor(
    readonly selector: HealSelector,
    readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  push(item: ConnectionEvent | Error): void {
    this.queue.push(item);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConnectionEvent> {
    for (;;) {
      if (this.signal?.aborted) return;
      const item = this.queue.shift();
      if (item instanceof Error) throw item;
      if (item !== undefined) {
        yield item;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

class ScriptedMonitor implements MonitorConnectionSource {
  readonly streams: ScriptedStream[] = [];

  monitorConnections(
    selector: HealSelector,
    options: { signal?: AbortSignal },
  ): AsyncIterable<ConnectionEvent> {
    const stream = new ScriptedStream(selector, options.signal);
    this.streams.push(stream);
    return stream;
  }

  get last(): ScriptedStream {
    return this.streams.at(-1)!;
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function event(type: ConnectionEvent['type'], connections: Connection[]): ConnectionEvent {
  return { type, connections: Object.fromEntries(connections.map((c) => [c.id, c])) };
}

describeElementContract('healClient', () => healClient({ monitor: new ScriptedMonitor() }));

describe('healClient', () => {
  const lifetimes: AbortController[] = [];
  afterEach(() => lifetimes.splice(0).forEach((l) => l.abort()));

  function setUp(options: { requestErrorTimes?: number[]; livenessCheck?: () => Promise<boolean> } = {}) {
    const lifetime = new AbortController();
    lifetimes.push(lifetime);
    const monitor = new ScriptedMonitor();
    const counter = countServer();
    const states: string[] = [];
    const endpoint = newEndpoint({
      name: 'nsm',
      signal: lifetime.signal,
      additional: [
        counter,
        checkRequestServer((request) => void states.push(request.connection!.state)),
        injectErrorServer({
          error: new UnavailableError('the endpoint is gone'),
          requestErrorTimes: options.requestErrorTimes ?? [],
          closeErrorTimes: [],
        }),
      ],
    });
    const client = newClient({
      name: 'nsc',
      refresh: false,
      signal: lifetime.signal,
      connectTo: connectInProcess(endpoint.element),
      heal: healClient({
        monitor,
        retryIntervalMs: 5,
        livenessIntervalMs: 10,
        signal: lifetime.signal,
        ...(options.livenessCheck ? { livenessCheck: options.livenessCheck } : {}),
      }),
    });
    return { monitor, counter, states, client, ctx: Context.background() };
  }

  it("watches the connection by this hop's path segment", async () => {
    const { monitor, client, ctx } = setUp();
    const connection = await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    const segment = currentSegment(connection)!;
    expect(monitor.last.selector).toEqual({ path_segments: [{ id: segment.id, name: 'nsc' }] });
  });

  it('reselects when the connection is reported DOWN: closes, then requests in RESELECT_REQUESTED', async () => {
    const { monitor, counter, states, client, ctx } = setUp();
    const connection = await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    monitor.last.push(event('INITIAL_STATE_TRANSFER', [connection]));
    monitor.last.push(event('UPDATE', [{ ...connection, state: State.DOWN }]));
    await until('the reselect', () => counter.requests === 2);
    expect(counter.closes).toBe(1);
    expect(states).toEqual([State.UP, State.RESELECT_REQUESTED]);
    await until('a new monitor stream', () => monitor.streams.length === 2);
    expect(monitor.streams[0]!.signal?.aborted).toBe(true);
  });

  it('requests the connection again as it is when the NSM no longer holds it (a restart)', async () => {
    const { monitor, counter, states, client, ctx } = setUp();
    await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    monitor.last.push(event('INITIAL_STATE_TRANSFER', []));
    await until('the re-request', () => counter.requests === 2);
    expect(counter.closes).toBe(0);
    expect(states).toEqual([State.UP, State.UP]);
  });

  it('reconnects a broken stream and lets its initial state decide', async () => {
    const { monitor, counter, client, ctx } = setUp();
    const connection = await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    monitor.last.push(new UnavailableError('the NSM went away'));
    await until('a second stream', () => monitor.streams.length === 2);
    monitor.last.push(event('INITIAL_STATE_TRANSFER', [connection]));
    monitor.last.push(new UnavailableError('the NSM went away again'));
    await until('a third stream', () => monitor.streams.length === 3);
    expect(counter.requests).toBe(1);
  });

  it('ignores a DOWN about an older version of the connection than the last successful request', async () => {
    const { monitor, counter, client, ctx } = setUp();
    const first = await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    monitor.last.push(event('INITIAL_STATE_TRANSFER', [first]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const refreshed = await client.request(ctx, { connection: first });
    expect(timestampToMs(currentSegment(refreshed)!.expires)).toBeGreaterThan(
      timestampToMs(currentSegment(first)!.expires)!,
    );
    // The DOWN of a refresh that failed before `refreshed` succeeded, delivered after it.
    monitor.last.push(event('UPDATE', [{ ...first, state: State.DOWN }]));
    monitor.last.push(event('UPDATE', [refreshed]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect({ requests: counter.requests, closes: counter.closes }).toEqual({ requests: 2, closes: 0 });
    // A DOWN about the current version still heals.
    monitor.last.push(event('UPDATE', [{ ...refreshed, state: State.DOWN }]));
    await until('the reselect', () => counter.requests === 3);
    expect(counter.closes).toBe(1);
  });

  it('keeps trying, with reselect once the NSM answers but fails, until the connection is back', async () => {
    const { monitor, counter, states, client, ctx } = setUp({ requestErrorTimes: [1, 2] });
    await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    monitor.last.push(event('INITIAL_STATE_TRANSFER', []));
    await until('the third attempt', () => counter.requests === 4);
    expect(states).toEqual([State.UP, State.UP, State.RESELECT_REQUESTED, State.RESELECT_REQUESTED]);
    await until('a new monitor stream', () => monitor.streams.length === 2);
  });

  it('reselects when the liveness check fails', async () => {
    let alive = true;
    const { monitor, counter, states, client, ctx } = setUp({ livenessCheck: () => Promise.resolve(alive) });
    await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    alive = false;
    await until('the reselect', () => counter.requests === 2);
    alive = true;
    expect(states).toEqual([State.UP, State.RESELECT_REQUESTED]);
  });

  it('stops watching and healing when the connection is closed', async () => {
    const { monitor, counter, client, ctx } = setUp({ requestErrorTimes: [1, -1] });
    const connection = await client.request(ctx, { connection: { network_service: 'svc' } });
    await until('a monitor stream', () => monitor.streams.length === 1);
    monitor.last.push(event('UPDATE', [{ ...connection, state: State.DOWN }]));
    await until('failing heal attempts', () => counter.requests >= 4);
    await client.close(ctx, connection);
    const attempts = counter.requests;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(counter.requests).toBe(attempts);
    expect(monitor.streams.every((stream) => stream.signal?.aborted)).toBe(true);
  });
});
