import {
  beginClient,
  beginServer,
  chainClient,
  chainServer,
  type Connection,
  Context,
  contextKey,
  defineClient,
  defineServer,
  type EventFactory,
  eventFactoryOf,
  KeyedSerializer,
  newConnection,
  newRequest,
  runClose,
  runRequest,
  State,
} from '../../../sdk/core/index.js';
import {
  checkContextServer,
  countClient,
  countServer,
  FakeClock,
  injectErrorServer,
} from '../../../sdk/testing/index.js';

const yieldToOthers = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Captures the event factory begin puts into the context. */
function factoryProbe(): { element: ReturnType<typeof checkContextServer>; factory: () => EventFactory } {
  let captured: EventFactory | undefined;
  return {
    element: checkContextServer((ctx) => void (captured = eventFactoryOf(ctx))),
    factory: () => {
      if (captured === undefined) throw new Error('no request has passed the probe yet');
      return captured;
    },
  };
}

describe('beginServer', () => {
  it('runs the events of one id one at a time in arrival order, and different ids in parallel', async () => {
    const ids = ['a', 'b', 'c'];
    const perId = 200;
    const active = new Map<string, number>();
    const maxActive = new Map<string, number>();
    const order = new Map<string, number[]>(ids.map((id) => [id, []]));
    let activeAll = 0;
    let maxActiveAll = 0;
    const probe = defineServer('probe', {
      request: async (ctx, request, next) => {
        const { id, payload } = request.connection!;
        active.set(id, (active.get(id) ?? 0) + 1);
        maxActive.set(id, Math.max(maxActive.get(id) ?? 0, active.get(id)!));
        maxActiveAll = Math.max(maxActiveAll, ++activeAll);
        order.get(id)!.push(Number(payload));
        // Gives every other queued event the chance to start, were begin not serializing.
        await yieldToOthers();
        active.set(id, active.get(id)! - 1);
        activeAll -= 1;
        return next.request(ctx, request);
      },
    });
    const chain = chainServer(beginServer(), probe);
    const ctx = Context.background();
    const calls: Promise<Connection>[] = [];
    for (let seq = 0; seq < perId; seq++) {
      for (const id of ids)
        calls.push(runRequest(chain, ctx, newRequest({ connection: { id, payload: String(seq) } })));
    }
    await Promise.all(calls);
    const inOrder = Array.from({ length: perId }, (_, i) => i);
    for (const id of ids) {
      expect(maxActive.get(id)).toBe(1);
      expect(order.get(id)).toEqual(inOrder);
    }
    expect(maxActiveAll).toBe(ids.length);
  });

  it('makes Close a no-op for an unknown id and after a failed first request', async () => {
    const after = countServer();
    const chain = chainServer(
      beginServer(),
      after,
      injectErrorServer({ requestErrorTimes: [0], closeErrorTimes: [] }),
    );
    const ctx = Context.background();
    const request = newRequest({ connection: { id: 'x' } });
    await expect(runRequest(chain, ctx, request)).rejects.toThrow('injected');
    await runClose(chain, ctx, request.connection!);
    await runClose(chain, ctx, newConnection({ id: 'never-seen' }));
    expect(after.closes).toBe(0);
    const connection = await runRequest(chain, ctx, newRequest({ connection: { id: 'x' } }));
    await runClose(chain, ctx, connection);
    await runClose(chain, ctx, connection);
    expect(after.closes).toBe(1);
  });

  it('closes with the last connection the chain returned, whatever the caller passes', async () => {
    const closed: Connection[] = [];
    let requests = 0;
    const chain = chainServer(
      beginServer(),
      defineServer('stamp', {
        request: async (ctx, request, next) => ({
          ...(await next.request(ctx, request)),
          payload: `r${++requests}`,
        }),
        close: (ctx, connection, next) => {
          closed.push(connection);
          return next.close(ctx, connection);
        },
      }),
    );
    const ctx = Context.background();
    const first = await runRequest(chain, ctx, newRequest({ connection: { id: 'x' } }));
    await runRequest(chain, ctx, { connection: first, mechanism_preferences: [] });
    await runClose(chain, ctx, { ...first, payload: 'stale' });
    expect(closed.map((c) => c.payload)).toEqual(['r2']);
  });

  it("gives events a factory that re-runs the chain from begin's position with the last connection", async () => {
    const before = countServer();
    const after = countServer();
    const probe = factoryProbe();
    const seen: string[] = [];
    let returned = 0;
    const chain = chainServer(
      before,
      beginServer(),
      probe.element,
      after,
      defineServer('endpoint', {
        request: async (ctx, request, next) => {
          seen.push(request.connection!.payload);
          return { ...(await next.request(ctx, request)), payload: `returned-${++returned}` };
        },
      }),
    );
    const ctx = Context.background();
    await runRequest(chain, ctx, newRequest({ connection: { id: 'x', payload: 'from-caller' } }));
    await probe.factory().request();
    await probe.factory().request();
    expect(seen).toEqual(['from-caller', 'returned-1', 'returned-2']);
    expect([before.requests, after.requests]).toEqual([1, 3]);

    await probe.factory().close();
    expect([before.closes, after.closes]).toEqual([0, 1]);
    // The connection is gone: events and Closes for it do nothing.
    await probe.factory().request();
    await runClose(chain, ctx, newConnection({ id: 'x' }));
    expect([after.requests, after.closes]).toEqual([3, 1]);
  });

  it('skips an event whose cancel signal aborted, and every event once the lifetime ends', async () => {
    const lifetime = new AbortController();
    const after = countServer();
    const probe = factoryProbe();
    const chain = chainServer(beginServer({ signal: lifetime.signal }), probe.element, after);
    await runRequest(chain, Context.background(), newRequest({ connection: { id: 'x' } }));
    await probe.factory().request({ cancel: AbortSignal.abort() });
    expect(after.requests).toBe(1);
    lifetime.abort();
    await probe.factory().request();
    await probe.factory().close();
    expect([after.requests, after.closes]).toEqual([1, 0]);
  });

  it("runs events on the last request's values, logger and clock, not its signal, with the event timeout", async () => {
    const clock = new FakeClock();
    const key = contextKey<string>('test.value');
    const contexts: { cancelled: boolean; value?: string; clock: unknown; deadline?: number }[] = [];
    const probe = factoryProbe();
    const chain = chainServer(
      beginServer({ eventTimeoutMs: 5_000 }),
      probe.element,
      checkContextServer(
        (ctx) =>
          void contexts.push({
            cancelled: ctx.cancelled,
            value: ctx.value(key),
            clock: ctx.clock,
            deadline: ctx.deadline,
          }),
      ),
    );
    const [requestCtx, cancelRequest] = Context.background({ clock })
      .withValue(key, 'from-request')
      .withTimeout(100);
    await runRequest(chain, requestCtx, newRequest({ connection: { id: 'x' } }));
    cancelRequest();
    await probe.factory().request();
    expect(contexts[1]).toEqual({
      cancelled: false,
      value: 'from-request',
      clock,
      deadline: clock.now() + 5_000,
    });
  });

  it('passes through when an outer begin already serializes the connection', async () => {
    const between = countServer();
    const probe = factoryProbe();
    const chain = chainServer(beginServer(), between, beginServer(), probe.element);
    await runRequest(chain, Context.background(), newRequest({ connection: { id: 'x' } }));
    await probe.factory().request();
    // The event started at the outer begin, so it passed the element between the two.
    expect(between.requests).toBe(2);
  });

  it('closes the old path first when an established connection asks to reselect, and returns it UP', async () => {
    const calls: string[] = [];
    const chain = chainServer(
      beginServer(),
      defineServer('record', {
        request: (ctx, request, next) => {
          calls.push(`request:${request.connection!.state}`);
          return next.request(ctx, request);
        },
        close: (ctx, connection, next) => {
          calls.push('close');
          return next.close(ctx, connection);
        },
      }),
    );
    const ctx = Context.background();
    const connection = await runRequest(chain, ctx, newRequest({ connection: { id: 'x' } }));
    const reselected = await runRequest(chain, ctx, {
      connection: { ...connection, state: State.RESELECT_REQUESTED },
      mechanism_preferences: [],
    });
    expect(calls).toEqual(['request:UP', 'close', 'request:RESELECT_REQUESTED']);
    expect(reselected.state).toBe(State.UP);
  });

  it('rejects a request without a connection id', async () => {
    await expect(runRequest(beginServer(), Context.background(), newRequest())).rejects.toThrow(
      'put updatepath before begin',
    );
  });
});

describe('beginClient', () => {
  it('reselects on request: closes, then requests without mechanism and endpoint, RESELECT_REQUESTED', async () => {
    const calls: string[] = [];
    let captured: EventFactory | undefined;
    const chain = chainClient(
      beginClient(),
      defineClient('record', {
        request: (ctx, request, next) => {
          captured = eventFactoryOf(ctx);
          const c = request.connection!;
          calls.push(`request:${c.state}:${c.network_service_endpoint_name}:${c.mechanism?.type ?? 'none'}`);
          return next.request(ctx, request);
        },
        close: (ctx, connection, next) => {
          calls.push('close');
          return next.close(ctx, connection);
        },
      }),
    );
    await runRequest(
      chain,
      Context.background(),
      newRequest({
        connection: { id: 'x', network_service_endpoint_name: 'nse-1', mechanism: { type: 'KERNEL' } },
      }),
    );
    await captured!.request({ reselect: true });
    expect(calls).toEqual(['request:UP:nse-1:KERNEL', 'close', 'request:RESELECT_REQUESTED::none']);
  });

  it("merges a repeated request: keeps what events changed, applies the caller's own changes", async () => {
    const seen: Connection[] = [];
    let captured: EventFactory | undefined;
    let returned = 0;
    const chain = chainClient(
      beginClient(),
      defineClient('endpoint', {
        request: async (ctx, request, next) => {
          captured = eventFactoryOf(ctx);
          seen.push(structuredClone(request.connection!));
          return { ...(await next.request(ctx, request)), payload: `returned-${++returned}` };
        },
      }),
    );
    const ctx = Context.background();
    const first = await runRequest(
      chain,
      ctx,
      newRequest({ connection: { id: 'x', context: { extra_context: { keep: '1', change: 'old' } } } }),
    );
    await captured!.request();
    const changed = structuredClone(first);
    changed.context!.extra_context = { keep: '1', change: 'new' };
    await runRequest(chain, ctx, { connection: changed, mechanism_preferences: [] });
    const last = seen[2]!;
    expect(last.payload).toBe('returned-2');
    expect(last.context!.extra_context).toEqual({ keep: '1', change: 'new' });
  });

  it('makes a second Close of the same connection a no-op', async () => {
    const after = countClient();
    const chain = chainClient(beginClient(), after);
    const ctx = Context.background();
    const connection = await runRequest(chain, ctx, newRequest({ connection: { id: 'x' } }));
    await runClose(chain, ctx, connection);
    await runClose(chain, ctx, connection);
    expect(after.closes).toBe(1);
  });
});

describe('KeyedSerializer', () => {
  it('forgets a key once its tasks are done, and a failed task does not block the next', async () => {
    const serializer = new KeyedSerializer();
    const failed = serializer.run('k', () => Promise.reject(new Error('first fails')));
    const second = serializer.run('k', () => Promise.resolve('second runs'));
    expect(serializer.activeKeys).toBe(1);
    await expect(failed).rejects.toThrow('first fails');
    await expect(second).resolves.toBe('second runs');
    await yieldToOthers();
    expect(serializer.activeKeys).toBe(0);
  });
});
