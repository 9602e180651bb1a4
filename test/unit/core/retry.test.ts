import {
  chainClient,
  Code,
  codeOf,
  Context,
  defineClient,
  DeadlineExceededError,
  MeridioError,
  newRequest,
  PermissionDeniedError,
  retryClient,
  runClose,
  runRequest,
  UnavailableError,
} from '../../../sdk/core/index.js';
import { countClient, FakeClock, injectErrorClient } from '../../../sdk/testing/index.js';

function retrying(
  requestErrorTimes: number[],
  error: MeridioError = new UnavailableError('the endpoint is down'),
) {
  const clock = new FakeClock();
  const counter = countClient();
  const client = retryClient(
    chainClient(counter, injectErrorClient({ error, requestErrorTimes, closeErrorTimes: requestErrorTimes })),
  );
  return { clock, counter, client, ctx: Context.background({ clock }) };
}

describe('retryClient', () => {
  it('retries a failed Request every 200 ms until it succeeds, each try on a fresh copy', async () => {
    const { clock, counter, client, ctx } = retrying([0, 1]);
    const request = newRequest({ connection: { id: 'c1' } });
    const result = runRequest(client, ctx, request);
    await clock.advance(199);
    expect(counter.requests).toBe(1);
    await clock.advance(1);
    expect(counter.requests).toBe(2);
    await clock.advance(200);
    await expect(result).resolves.toMatchObject({ id: 'c1' });
    expect(counter.requests).toBe(3);
  });

  it('retries Close the same way', async () => {
    const { clock, counter, client, ctx } = retrying([0]);
    const result = runClose(client, ctx, newRequest({ connection: { id: 'c1' } }).connection!);
    await clock.advance(200);
    await expect(result).resolves.toBeUndefined();
    expect(counter.closes).toBe(2);
  });

  it('does not retry errors that say the request is wrong', async () => {
    const { counter, client, ctx } = retrying([-1], new PermissionDeniedError('not allowed'));
    await expect(runRequest(client, ctx, newRequest({ connection: { id: 'c1' } }))).rejects.toThrow(
      'not allowed',
    );
    expect(counter.requests).toBe(1);
  });

  it("gives up when the caller's context ends, with the last try's error", async () => {
    const { clock, counter, client, ctx } = retrying([-1]);
    const [bounded, cancel] = ctx.withTimeout(1_000);
    const result = runRequest(client, bounded, newRequest({ connection: { id: 'c1' } })).catch(
      (e: unknown) => e,
    );
    await clock.advance(1_000);
    const error = await result;
    expect(codeOf(error)).toBe(Code.UNAVAILABLE);
    expect(counter.requests).toBe(5);
    cancel();
  });

  it('bounds every try by its own timeout', async () => {
    const clock = new FakeClock();
    let tries = 0;
    const hanging = defineClient('hanging-once', {
      request: (ctx, request, next) => {
        if (++tries > 1) return next.request(ctx, request);
        return new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new DeadlineExceededError('the try timed out')));
        });
      },
    });
    const client = retryClient(hanging, { tryTimeoutMs: 1_000, intervalMs: 200 });
    const result = runRequest(
      client,
      Context.background({ clock }),
      newRequest({ connection: { id: 'c1' } }),
    );
    await clock.advance(1_200);
    await expect(result).resolves.toMatchObject({ id: 'c1' });
    expect(tries).toBe(2);
  });

  it('rejects settings that are not positive', () => {
    expect(() => retryClient(countClient(), { intervalMs: 0 })).toThrow(
      'intervalMs must be a positive number',
    );
  });
});
