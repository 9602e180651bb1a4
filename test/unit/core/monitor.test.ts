import {
  AlreadyExistsError,
  chainServer,
  type Connection,
  type ConnectionEvent,
  Context,
  matchesSelector,
  monitorServer,
  newConnection,
  newRequest,
  runClose,
  runRequest,
  State,
  UnavailableError,
} from '../../../sdk/core/index.js';
import { injectErrorServer } from '../../../sdk/testing/index.js';

function connection(id: string, service: string, hops: string[]): Connection {
  return newConnection({
    id,
    network_service: service,
    path: {
      index: hops.length - 1,
      path_segments: hops.map((name, i) => ({
        name,
        id: `${id}-${i}`,
        token: `token-${name}`,
        expires: null,
        metrics: {},
      })),
    },
  });
}

/** Reads the next `count` events of a stream. */
async function take(events: AsyncIterable<ConnectionEvent>, count: number): Promise<ConnectionEvent[]> {
  const iterator = events[Symbol.asyncIterator]();
  const out: ConnectionEvent[] = [];
  while (out.length < count) {
    const result = await iterator.next();
    if (result.done === true) break;
    out.push(result.value);
  }
  return out;
}

const summary = (event: ConnectionEvent): string =>
  `${event.type}:${Object.values(event.connections)
    .map((c) => `${c.id}/${c.state}`)
    .sort()
    .join(',')}`;

describe('monitorServer', () => {
  const ctx = Context.background();

  it('sends the initial state, then updates and deletes, filtered by each selector', async () => {
    const element = monitorServer();
    const chain = chainServer(element, injectErrorServer({ requestErrorTimes: [2], closeErrorTimes: [] }));
    const a = connection('a', 'svc-a', ['nsc', 'nse']);
    const b = connection('b', 'svc-b', ['nsc', 'proxy', 'nse']);
    await runRequest(chain, ctx, { connection: a, mechanism_preferences: [] });

    const stop = new AbortController();
    const all = element.monitor.subscribe({}, stop.signal);
    const onlyB = element.monitor.subscribe({ network_services: ['svc-b'] }, stop.signal);
    const viaProxy = element.monitor.subscribe(
      { path_segments: [{ name: 'proxy' }, { name: 'nse' }] },
      stop.signal,
    );

    await runRequest(chain, ctx, { connection: b, mechanism_preferences: [] });
    // The third Request fails: a refresh of a held connection, so it is reported DOWN.
    await expect(runRequest(chain, ctx, { connection: a, mechanism_preferences: [] })).rejects.toThrow();
    await runClose(chain, ctx, b);

    expect((await take(all, 4)).map(summary)).toEqual([
      'INITIAL_STATE_TRANSFER:a/UP',
      'UPDATE:b/UP',
      'UPDATE:a/DOWN',
      'DELETE:b/UP',
    ]);
    expect((await take(onlyB, 3)).map(summary)).toEqual([
      'INITIAL_STATE_TRANSFER:',
      'UPDATE:b/UP',
      'DELETE:b/UP',
    ]);
    expect((await take(viaProxy, 3)).map(summary)).toEqual([
      'INITIAL_STATE_TRANSFER:',
      'UPDATE:b/UP',
      'DELETE:b/UP',
    ]);
    expect(element.monitor.connections().map((c) => `${c.id}/${c.state}`)).toEqual([`a/${State.DOWN}`]);
    stop.abort();
  });

  it('keeps a connection UP when a refresh is refused (the far side kept it), DOWN when it is unavailable', async () => {
    const refusing = monitorServer();
    const refused = chainServer(
      refusing,
      injectErrorServer({
        error: new AlreadyExistsError('identifier 7 is held by another target'),
        requestErrorTimes: [1],
        closeErrorTimes: [],
      }),
    );
    const a = await runRequest(refused, ctx, newRequest({ connection: { id: 'a' } }));
    await expect(runRequest(refused, ctx, { connection: a, mechanism_preferences: [] })).rejects.toThrow(
      'held by another target',
    );
    expect(refusing.monitor.connections().map((c) => `${c.id}/${c.state}`)).toEqual([`a/${State.UP}`]);

    const failing = monitorServer();
    const unavailable = chainServer(
      failing,
      injectErrorServer({
        error: new UnavailableError('the endpoint is gone'),
        requestErrorTimes: [1],
        closeErrorTimes: [],
      }),
    );
    const b = await runRequest(unavailable, ctx, newRequest({ connection: { id: 'b' } }));
    await expect(
      runRequest(unavailable, ctx, { connection: b, mechanism_preferences: [] }),
    ).rejects.toThrow();
    expect(failing.monitor.connections().map((c) => `${c.id}/${c.state}`)).toEqual([`b/${State.DOWN}`]);
  });

  it('does not report a failed first request, and ends a stream when its signal aborts', async () => {
    const element = monitorServer();
    const chain = chainServer(element, injectErrorServer({ requestErrorTimes: [0], closeErrorTimes: [] }));
    const stop = new AbortController();
    const events = element.monitor.subscribe({}, stop.signal);
    await expect(runRequest(chain, ctx, newRequest({ connection: { id: 'x' } }))).rejects.toThrow();
    expect(element.monitor.connections()).toEqual([]);
    const iterator = events[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'INITIAL_STATE_TRANSFER', connections: {} });
    const pending = iterator.next();
    stop.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends a stream at once for an aborted signal, and hands out copies of what it holds', async () => {
    const element = monitorServer();
    await runRequest(element, ctx, {
      connection: connection('a', 'svc', ['nse']),
      mechanism_preferences: [],
    });
    const [initial] = await take(element.monitor.subscribe({}, AbortSignal.abort()), 1);
    expect(initial).toBeUndefined();
    const copy = element.monitor.connections()[0]!;
    copy.payload = 'changed';
    expect(element.monitor.connections()[0]!.payload).toBe('');
  });
});

describe('matchesSelector', () => {
  const c = connection('c', 'svc', ['nsc', 'nsmgr', 'fwd', 'nse']);

  it('matches a contiguous run of path segments, empty fields being wildcards', () => {
    expect(matchesSelector(c, {})).toBe(true);
    expect(matchesSelector(c, { path_segments: [{ name: 'nsmgr' }, { name: 'fwd' }] })).toBe(true);
    expect(matchesSelector(c, { path_segments: [{ name: 'nsmgr' }, { name: '' }, { name: 'nse' }] })).toBe(
      true,
    );
    expect(matchesSelector(c, { path_segments: [{ id: 'c-3', token: 'token-nse' }] })).toBe(true);
  });

  it('rejects runs that are not contiguous, too long, or differ in any given field', () => {
    expect(matchesSelector(c, { path_segments: [{ name: 'nsc' }, { name: 'fwd' }] })).toBe(false);
    expect(matchesSelector(c, { path_segments: [{ name: 'nse' }, { name: '' }] })).toBe(false);
    expect(matchesSelector(c, { path_segments: [{ name: 'nse', id: 'other' }] })).toBe(false);
  });

  it('filters on network services unless the list is empty', () => {
    expect(matchesSelector(c, { network_services: [] })).toBe(true);
    expect(matchesSelector(c, { network_services: ['other', 'svc'] })).toBe(true);
    expect(matchesSelector(c, { network_services: ['other'] })).toBe(false);
  });
});
