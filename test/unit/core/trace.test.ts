import pino from 'pino';

import {
  beginServer,
  Code,
  codeOf,
  Context,
  defineServer,
  errorOrigin,
  MeridioError,
  namedChainServer,
  newRequest,
  runClose,
  runRequest,
  updatepathServer,
} from '../../../sdk/core/index.js';
import { injectErrorServer } from '../../../sdk/testing/index.js';

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function capture(level: pino.LevelWithSilent): { ctx: Context; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  return { ctx: Context.background({ logger }), lines };
}

const setPayload = defineServer('set-payload', {
  request: (ctx, request, next) => {
    request.connection!.payload = 'set';
    return next.request(ctx, request);
  },
});

function endpoint(failing = false) {
  const inner = namedChainServer(
    'inner',
    setPayload,
    injectErrorServer({ requestErrorTimes: failing ? [-1] : [], closeErrorTimes: [] }),
  );
  return namedChainServer('nse', updatepathServer('nse'), beginServer(), inner);
}

describe('trace', () => {
  it('at info, logs one line per Request and Close at the outermost chain', async () => {
    const { ctx, lines } = capture('info');
    const chain = endpoint();
    const connection = await runRequest(
      chain,
      ctx,
      newRequest({ connection: { id: 'c1', network_service: 'svc' } }),
    );
    await runClose(chain, ctx, connection);
    expect(lines.map((l) => [l.msg, l.chain, l.op, l.id, l.service])).toEqual([
      ['request done', 'nse', 'request', 'c1', 'svc'],
      ['close done', 'nse', 'close', 'c1', 'svc'],
    ]);
    expect(typeof lines[0]!.ms).toBe('number');
  });

  it('at info, names the element an error came from and keeps its code and message', async () => {
    const { ctx, lines } = capture('info');
    const failing = namedChainServer(
      'nse',
      updatepathServer('nse'),
      injectErrorServer({ error: new MeridioError('no addresses left', Code.RESOURCE_EXHAUSTED) }),
    );
    const error = await runRequest(failing, ctx, newRequest({ connection: { id: 'c1' } })).catch(
      (e: unknown) => e,
    );
    expect(codeOf(error)).toBe(Code.RESOURCE_EXHAUSTED);
    expect((error as Error).message).toBe('no addresses left');
    expect(errorOrigin(error)).toBe('inject-error');
    expect(Object.keys(error as object)).not.toContain('chainElement');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request failed',
      element: 'inject-error',
      code: Code.RESOURCE_EXHAUSTED,
    });
  });

  it('at debug, logs every element with only what changed since the previous element', async () => {
    const { ctx, lines } = capture('debug');
    await runRequest(endpoint(), ctx, newRequest({ connection: { id: 'c1' } }));
    const entering = lines.filter((l) => l.msg === 'request enters element');
    expect(entering.map((l) => l.element)).toEqual([
      'updatepath',
      'begin',
      'inner',
      'set-payload',
      'inject-error',
    ]);
    const changes = (element: string) =>
      (entering.find((l) => l.element === element)!.changes as { path: string; to: unknown }[]).map(
        (c) => c.path,
      );
    expect(changes('begin')).toEqual(['connection.path']);
    expect(changes('inner')).toEqual([]);
    expect(changes('inject-error')).toEqual(['connection.payload']);
    expect(lines.filter((l) => l.msg === 'request done')).toHaveLength(1);
  });

  it('at warn, logs nothing and calls elements directly', async () => {
    const { ctx, lines } = capture('warn');
    const error = await runRequest(endpoint(true), ctx, newRequest({ connection: { id: 'c1' } })).catch(
      (e: unknown) => e,
    );
    expect(codeOf(error)).toBe(Code.UNKNOWN);
    expect(errorOrigin(error)).toBeUndefined();
    expect(lines).toEqual([]);
  });
});
