import {
  chainClient,
  chainServer,
  Code,
  type Context,
  contextKey,
  defineServer,
  MeridioError,
  type NetworkServiceRequest,
  newRequest,
  runClose,
  runRequest,
  Context as RootContext,
} from '../../../sdk/core/index.js';
import {
  checkContextClient,
  checkContextServer,
  checkRequestServer,
  checkResponseClient,
  checkResponseServer,
  countClient,
  countServer,
  injectErrorClient,
  injectErrorServer,
} from '../../../sdk/testing/index.js';

const ctx = (): Context => RootContext.background();
const request = (id: string): NetworkServiceRequest => newRequest({ connection: { id } });

async function outcomes(run: () => Promise<unknown>, times: number): Promise<string> {
  let out = '';
  for (let i = 0; i < times; i++)
    out += await run().then(
      () => '.',
      () => 'x',
    );
  return out;
}

describe('injectError', () => {
  it('fails the listed calls, -1 meaning every call from the previous index on', async () => {
    const element = injectErrorServer({ requestErrorTimes: [0, 2, -1], closeErrorTimes: [1] });
    expect(await outcomes(() => runRequest(element, ctx(), request('a')), 6)).toBe('x.xxxx');
    expect(await outcomes(() => runClose(element, ctx(), request('a').connection!), 4)).toBe('.x..');
  });

  it('fails every call by default, with the given error and without calling next', async () => {
    const error = new MeridioError('boom', Code.ABORTED);
    const after = countClient();
    const chain = chainClient(injectErrorClient({ error }), after);
    await expect(runRequest(chain, ctx(), request('a'))).rejects.toBe(error);
    await expect(runClose(chain, ctx(), request('a').connection!)).rejects.toBe(error);
    expect(after.requests + after.closes).toBe(0);
  });

  it('rejects error times that are not call indexes', () => {
    expect(() => injectErrorServer({ requestErrorTimes: [-2] })).toThrow('call indexes');
  });
});

describe('count', () => {
  it('counts requests, closes and distinct ids', async () => {
    const counter = countServer();
    for (const id of ['a', 'b', 'a']) await runRequest(counter, ctx(), request(id));
    await runClose(counter, ctx(), request('a').connection!);
    expect([counter.requests, counter.uniqueRequests, counter.closes, counter.uniqueCloses]).toEqual([
      3, 2, 1, 1,
    ]);
  });
});

describe('checks', () => {
  it('see the request before next, the connection after it and the context passed on', async () => {
    const key = contextKey<string>('test.value');
    const seen: string[] = [];
    const chain = chainServer(
      checkContextServer((c) => void seen.push(`context:${c.value(key) ?? 'none'}`)),
      checkRequestServer((r) => void seen.push(`request:${r.connection!.payload}`)),
      checkResponseServer((c) => void seen.push(`response:${c.payload}`)),
      defineServer('set-payload', {
        request: (c, r, next) => {
          r.connection!.payload = 'changed';
          return next.request(c, r);
        },
      }),
    );
    const start = newRequest({ connection: { id: 'a', payload: 'original' } });
    await runRequest(chain, ctx().withValue(key, 'v'), start);
    await runClose(chain, ctx(), start.connection!);
    expect(seen).toEqual(['context:v', 'request:original', 'response:changed', 'context:none']);
  });

  it('fail the call with the check error', async () => {
    const failing = checkResponseClient(() => {
      throw new Error('unexpected connection');
    });
    await expect(runRequest(failing, ctx(), request('a'))).rejects.toThrow('unexpected connection');
    const contextCheck = checkContextClient(() => expect(1).toBe(2));
    await expect(runClose(contextCheck, ctx(), request('a').connection!)).rejects.toThrow();
  });
});
