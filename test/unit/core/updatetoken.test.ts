import {
  chainServer,
  Context,
  newRequest,
  opaqueTokenGenerator,
  runClose,
  runRequest,
  timestampToMs,
  updatepathServer,
  updatetokenClient,
  updatetokenServer,
} from '../../../sdk/core/index.js';
import { countServer, FakeClock } from '../../../sdk/testing/index.js';

describe('updatetoken', () => {
  it("fills this hop's segment with the generated token and expiry", async () => {
    const clock = new FakeClock();
    const chain = chainServer(
      updatepathServer('nse'),
      updatetokenServer(() => ({ token: 'issued', expiresMs: clock.now() + 1_000 })),
    );
    const request = newRequest({
      connection: {
        id: 'c',
        path: {
          index: 0,
          path_segments: [{ name: 'nsc', id: 'c', token: 'theirs', expires: null, metrics: {} }],
        },
      },
    });
    const connection = await runRequest(chain, Context.background({ clock }), request);
    const [previous, own] = connection.path!.path_segments;
    expect(previous!.token).toBe('theirs');
    expect(own!.token).toBe('issued');
    expect(timestampToMs(own!.expires)).toBe(clock.now() + 1_000);
  });

  it('issues random opaque tokens valid for 10 minutes by default, or for the given lifetime', async () => {
    const clock = new FakeClock();
    const ctx = Context.background({ clock });
    const first = await opaqueTokenGenerator()(ctx);
    const second = await opaqueTokenGenerator(60_000)(ctx);
    expect(first.token).not.toBe(second.token);
    expect(first.token.length).toBeGreaterThanOrEqual(16);
    expect(first.expiresMs).toBe(clock.now() + 10 * 60_000);
    expect(second.expiresMs).toBe(clock.now() + 60_000);
    expect(() => opaqueTokenGenerator(0)).toThrow('positive number of milliseconds');
  });

  it('fails a Request without a path, but still closes downstream when Close has none', async () => {
    const after = countServer();
    const chain = chainServer(updatetokenServer(), after);
    const ctx = Context.background();
    await expect(
      runRequest(updatetokenClient(), ctx, newRequest({ connection: { id: 'c' } })),
    ).rejects.toThrow('put updatepath before updatetoken');
    await runClose(chain, ctx, newRequest({ connection: { id: 'c' } }).connection!);
    expect(after.closes).toBe(1);
  });
});
