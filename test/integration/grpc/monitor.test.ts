import {
  Code,
  type ConnectionEvent,
  defineServer,
  type MonitorScopeSelector,
  newConnection,
  UnavailableError,
} from '../../../sdk/core/index.js';
import {
  type ConnectionEventSource,
  GrpcChannelCache,
  type RunningGrpcServer,
  serveEndpoint,
} from '../../../sdk/grpc/index.js';
import { listenAddress, type ListenAddress, TRANSPORTS } from './listen.js';

const initial: ConnectionEvent = { type: 'INITIAL_STATE_TRANSFER', connections: {} };

function update(id: string): ConnectionEvent {
  return { type: 'UPDATE', connections: { [id]: newConnection({ id, network_service: 'svc' }) } };
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

describe.each(TRANSPORTS)('MonitorConnections over gRPC (%s)', (transport) => {
  let address: ListenAddress;
  let server: RunningGrpcServer | undefined;
  let channels: GrpcChannelCache;

  beforeEach(() => {
    address = listenAddress(transport);
    channels = new GrpcChannelCache();
  });

  afterEach(async () => {
    channels.close();
    await server?.stop(100);
    server = undefined;
    address.cleanup();
  });

  async function serveSource(source: ConnectionEventSource): Promise<string> {
    server = await serveEndpoint({ listen: address.listen, chain: defineServer('unused'), monitor: source });
    return address.dial(server.port);
  }

  it('passes the selector, streams events, and cancels the source when the reader stops', async () => {
    const selectors: MonitorScopeSelector[] = [];
    let sourceStopped: Promise<void> | undefined;
    const target = await serveSource({
      async *subscribe(selector, signal) {
        selectors.push(selector);
        sourceStopped = aborted(signal);
        yield initial;
        yield update('c-1');
        yield update('c-2');
        await sourceStopped;
      },
    });
    const seen: string[] = [];
    const stream = channels.monitorConnection(target).monitorConnections({
      path_segments: [{ name: 'nsc', id: 'c-1' }],
      network_services: ['svc'],
    });
    for await (const event of stream) {
      seen.push(`${event.type} ${Object.keys(event.connections).join(',')}`);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['INITIAL_STATE_TRANSFER ', 'UPDATE c-1']);
    expect(selectors).toEqual([
      {
        path_segments: [{ name: 'nsc', id: 'c-1', token: '', expires: null, metrics: {} }],
        network_services: ['svc'],
      },
    ]);
    await sourceStopped;
  });

  it("ends the stream with the source's error status and message", async () => {
    const target = await serveSource({
      async *subscribe() {
        yield initial;
        throw new UnavailableError('the monitor of nse-1 was stopped');
      },
    });
    const events: ConnectionEvent[] = [];
    const reading = (async () => {
      for await (const event of channels.monitorConnection(target).monitorConnections({})) events.push(event);
    })();
    await expect(reading).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
      message: 'the monitor of nse-1 was stopped',
    });
    expect(events).toEqual([initial]);
  });

  it("ends quietly when the reader's signal aborts", async () => {
    let sourceStopped: Promise<void> | undefined;
    const target = await serveSource({
      async *subscribe(_selector, signal) {
        sourceStopped = aborted(signal);
        yield initial;
        await sourceStopped;
      },
    });
    const watching = new AbortController();
    const events: ConnectionEvent[] = [];
    for await (const event of channels
      .monitorConnection(target)
      .monitorConnections({}, { signal: watching.signal })) {
      events.push(event);
      watching.abort();
    }
    expect(events).toEqual([initial]);
    await sourceStopped;
  });

  it('reports UNAVAILABLE when nothing listens at the target', async () => {
    const unused = listenAddress(transport);
    const target = transport === 'tcp' ? '127.0.0.1:1' : unused.dial(0);
    const reading = (async () => {
      for await (const _event of channels.monitorConnection(target).monitorConnections({})) {
        // no events expected
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    unused.cleanup();
  });
});
