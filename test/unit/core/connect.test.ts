import {
  chainClient,
  chainServer,
  Code,
  codeOf,
  connectServer,
  Context,
  defineClient,
  defineServer,
  MeridioError,
  newRequest,
  runClose,
  runRequest,
} from '../../../sdk/core/index.js';
import {
  countClient,
  countServer,
  injectErrorClient,
  injectErrorServer,
} from '../../../sdk/testing/index.js';

const fromClient = defineClient('next-hop', {
  request: async (ctx, request, next) => ({
    ...(await next.request(ctx, request)),
    payload: 'from-next-hop',
  }),
});

describe('connectServer', () => {
  it('continues the server chain with the connection the client returned', async () => {
    const seen: string[] = [];
    const chain = chainServer(
      connectServer(chainClient(fromClient)),
      defineServer('record', {
        request: (ctx, request, next) => {
          seen.push(request.connection!.payload);
          return next.request(ctx, request);
        },
      }),
    );
    const connection = await runRequest(
      chain,
      Context.background(),
      newRequest({ connection: { id: 'c1' } }),
    );
    expect(seen).toEqual(['from-next-hop']);
    expect(connection.payload).toBe('from-next-hop');
  });

  it('closes the client on a context of its own when the rest of the server chain fails', async () => {
    const clientCounter = countClient();
    let closeCancelled: boolean | undefined;
    const client = chainClient(
      clientCounter,
      defineClient('watch-close', {
        close: (ctx, connection, next) => {
          closeCancelled = ctx.cancelled;
          return next.close(ctx, connection);
        },
      }),
    );
    const [ctx, cancel] = Context.background().withCancel();
    const chain = chainServer(
      connectServer(client),
      defineServer('fail-and-cancel', {
        request: () => {
          cancel();
          return Promise.reject(new MeridioError('the endpoint refused', Code.FAILED_PRECONDITION));
        },
      }),
    );
    const error = await runRequest(chain, ctx, newRequest({ connection: { id: 'c1' } })).catch(
      (e: unknown) => e,
    );
    expect(codeOf(error)).toBe(Code.FAILED_PRECONDITION);
    expect(clientCounter.closes).toBe(1);
    expect(closeCancelled).toBe(false);
  });

  it('closes both sides and reports both errors', async () => {
    const clientCounter = countClient();
    const serverCounter = countServer();
    const chain = chainServer(
      connectServer(
        chainClient(clientCounter, injectErrorClient({ error: new MeridioError('client side') })),
      ),
      serverCounter,
      injectErrorServer({ error: new MeridioError('server side', Code.INTERNAL) }),
    );
    const error = await runClose(
      chain,
      Context.background(),
      newRequest({ connection: { id: 'c1' } }).connection!,
    ).catch((e: unknown) => e);
    expect([clientCounter.closes, serverCounter.closes]).toEqual([1, 1]);
    expect((error as Error).message).toContain('server side');
    expect((error as Error).message).toContain('client side');
    expect(codeOf(error)).toBe(Code.INTERNAL);
  });
});
