import {
  chainClient,
  chainServer,
  clientMetadata,
  clientToServer,
  Context,
  contextKey,
  defineClient,
  defineServer,
  metadataClient,
  metadataServer,
  newConnection,
  newRequest,
  runClose,
  runRequest,
  serverMetadata,
} from '../../../sdk/core/index.js';
import { injectErrorServer } from '../../../sdk/testing/index.js';

const visits = contextKey<number>('test.visits');

/** Counts, per connection, how often it was requested, in server metadata; logs what Close still sees. */
function visitCounter(log: string[]) {
  return defineServer('visits', {
    request: (ctx, request, next) => {
      const metadata = serverMetadata(ctx);
      metadata.set(visits, (metadata.get(visits) ?? 0) + 1);
      log.push(`request:${metadata.get(visits)}`);
      return next.request(ctx, request);
    },
    close: (ctx, connection, next) => {
      log.push(`close:${serverMetadata(ctx).get(visits) ?? 'none'}`);
      return next.close(ctx, connection);
    },
  });
}

describe('metadata', () => {
  const ctx = Context.background();
  const request = () => newRequest({ connection: { id: 'c1' } });

  it('keeps per-connection values across requests; Close still sees them, then they are gone', async () => {
    const log: string[] = [];
    const chain = chainServer(metadataServer(), visitCounter(log));
    await runRequest(chain, ctx, request());
    await runRequest(chain, ctx, request());
    await runRequest(chain, ctx, newRequest({ connection: { id: 'other' } }));
    await runClose(chain, ctx, newConnection({ id: 'c1' }));
    await runClose(chain, ctx, newConnection({ id: 'c1' }));
    expect(log).toEqual(['request:1', 'request:2', 'request:1', 'close:2', 'close:none']);
  });

  it('forgets a connection whose first request failed, but not one whose refresh failed', async () => {
    const log: string[] = [];
    const chain = chainServer(
      metadataServer(),
      visitCounter(log),
      injectErrorServer({ requestErrorTimes: [0, 2] }),
    );
    await expect(runRequest(chain, ctx, request())).rejects.toThrow();
    await runRequest(chain, ctx, request());
    await expect(runRequest(chain, ctx, request())).rejects.toThrow();
    await runRequest(chain, ctx, request());
    expect(log).toEqual(['request:1', 'request:1', 'request:2', 'request:3']);
  });

  it('gives server and client elements separate maps', async () => {
    const key = contextKey<string>('test.side');
    const chain = chainServer(
      metadataServer(),
      defineServer('server-side', {
        request: (c, r, next) => {
          serverMetadata(c).set(key, 'server');
          return next.request(c, r);
        },
      }),
      clientToServer(
        defineClient('client-side', {
          request: (c, r, next) => {
            expect(clientMetadata(c).get(key)).toBeUndefined();
            clientMetadata(c).set(key, 'client');
            expect(serverMetadata(c).get(key)).toBe('server');
            return next.request(c, r);
          },
        }),
      ),
    );
    await runRequest(chain, ctx, request());
  });

  it('throws a clear error when no metadata element is in the chain', async () => {
    const chain = chainClient(
      defineClient('needs-metadata', {
        request: async (c, r, next) => {
          clientMetadata(c);
          return next.request(c, r);
        },
      }),
    );
    await expect(runRequest(chain, ctx, request())).rejects.toThrow('put metadataClient() in the chain');
    await expect(runRequest(metadataClient(), ctx, newRequest())).rejects.toThrow(
      'put updatepath before metadata',
    );
  });
});
