import {
  beginClient,
  chainClient,
  Context,
  defineClient,
  metadataClient,
  msToTimestamp,
  newConnection,
  newRequest,
  refreshClient,
  refreshDelayMs,
  runClose,
  runRequest,
  updatepathClient,
} from '../../../sdk/core/index.js';
import { countClient, FakeClock, injectErrorClient } from '../../../sdk/testing/index.js';

/** The far end: stamps every path segment with an expiry `lifetimeMs` from now. */
function expiringEnd(clock: FakeClock, lifetimeMs: number) {
  return defineClient('expiring-end', {
    request: async (ctx, request, next) => {
      const connection = await next.request(ctx, request);
      for (const segment of connection.path!.path_segments)
        segment.expires = msToTimestamp(clock.now() + lifetimeMs);
      return connection;
    },
  });
}

function client(requestErrorTimes: number[] = []) {
  const clock = new FakeClock();
  const counter = countClient();
  const chain = chainClient(
    updatepathClient('nsc'),
    beginClient(),
    metadataClient(),
    refreshClient(),
    counter,
    injectErrorClient({ requestErrorTimes, closeErrorTimes: [] }),
    expiringEnd(clock, 60_000),
  );
  const ctx = Context.background({ clock });
  return { clock, counter, chain, ctx };
}

describe('refreshClient', () => {
  it('re-requests at a third of the lifetime of a single-segment path, again and again', async () => {
    const { clock, counter, chain, ctx } = client();
    await runRequest(chain, ctx, newRequest({ connection: { id: 'c1' } }));
    await clock.advance(19_999);
    expect(counter.requests).toBe(1);
    await clock.advance(1);
    expect(counter.requests).toBe(2);
    await clock.advance(20_000);
    expect(counter.requests).toBe(3);
    expect(counter.uniqueRequests).toBe(1);
  });

  it('retries a failed refresh every 200 ms', async () => {
    const { clock, counter, chain, ctx } = client([1, 2]);
    await runRequest(chain, ctx, newRequest({ connection: { id: 'c1' } }));
    await clock.advance(20_000);
    expect(counter.requests).toBe(2);
    await clock.advance(200);
    expect(counter.requests).toBe(3);
    await clock.advance(200);
    expect(counter.requests).toBe(4);
    // Succeeded: back to the normal schedule, a third of the new lifetime later.
    await clock.advance(19_999);
    expect(counter.requests).toBe(4);
    await clock.advance(1);
    expect(counter.requests).toBe(5);
  });

  it('stops refreshing on Close', async () => {
    const { clock, counter, chain, ctx } = client();
    const connection = await runRequest(chain, ctx, newRequest({ connection: { id: 'c1' } }));
    await runClose(chain, ctx, connection);
    await clock.advance(600_000);
    expect(counter.requests).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('refreshDelayMs', () => {
  const now = 1_000_000;
  const connection = (index: number, lifetimes: (number | undefined)[]) =>
    newConnection({
      path: {
        index,
        path_segments: lifetimes.map((lifetime, i) => ({
          name: `hop-${i}`,
          id: `id-${i}`,
          token: '',
          expires: lifetime === undefined ? null : msToTimestamp(now + lifetime),
          metrics: {},
        })),
      },
    });

  it('scales the shortest remaining lifetime by 0.2 + 0.2·index/segments on longer paths', () => {
    expect(refreshDelayMs(connection(0, [60_000, 30_000]), now)).toBe(6_000);
    expect(refreshDelayMs(connection(1, [60_000, 30_000]), now)).toBe(9_000);
    expect(refreshDelayMs(connection(0, [60_000]), now)).toBe(20_000);
  });

  it('ignores segments without expiry, refreshes at once when expired and not at all without any expiry', () => {
    expect(refreshDelayMs(connection(0, [undefined, 30_000]), now)).toBe(6_000);
    expect(refreshDelayMs(connection(0, [-5, 30_000]), now)).toBe(0);
    expect(refreshDelayMs(connection(0, [undefined]), now)).toBeUndefined();
  });
});
