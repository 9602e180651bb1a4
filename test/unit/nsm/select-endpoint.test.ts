import pino from 'pino';

import { selectEndpointServer } from '../../../endpoints/nsm/manager/index.js';
import { createRegistry, type Registry } from '../../../endpoints/nsm/registry/index.js';
import {
  chainServer,
  Code,
  codeOf,
  type Connection,
  Context,
  messageOf,
  metadataServer,
  newRequest,
  PermissionDeniedError,
  runClose,
  runRequest,
  State,
  UnavailableError,
  updatepathServer,
  beginServer,
  defineServer,
  type RequestInit,
} from '../../../sdk/core/index.js';
import { describeElementContract, FakeClock } from '../../../sdk/testing/index.js';

const silent = pino({ level: 'silent' });

function registryWith(clock: FakeClock, endpoints: [string, Record<string, string>][]): Registry {
  const registry = createRegistry({ clock, expiryMs: 60_000 });
  for (const [name, labels] of endpoints) {
    registry.registerEndpoint({
      name,
      url: `unix:///run/${name}.sock`,
      network_service_names: ['svc'],
      network_service_labels: { svc: { labels } },
    });
  }
  return registry;
}

describeElementContract('selectEndpointServer', () => {
  const registry = createRegistry({ clock: new FakeClock() });
  registry.registerEndpoint({
    name: 'e1',
    url: 'unix:///run/e1.sock',
    network_service_names: ['contract-service'],
  });
  return selectEndpointServer({ registry, logger: silent });
});

/** updatepath → begin → metadata → selectEndpoint → an endpoint stand-in that refuses the names in `down`. */
function manager(registry: Registry, down: Set<string> = new Set(), seen: string[] = []) {
  return chainServer(
    updatepathServer('nsm'),
    beginServer(),
    metadataServer(),
    selectEndpointServer({ registry, logger: silent, namedEndpointWaitMs: 5000 }),
    defineServer('endpoints', {
      request: (ctx, request, next) => {
        const name = request.connection!.network_service_endpoint_name;
        seen.push(name);
        if (down.has(name)) return Promise.reject(new UnavailableError(`${name} is unreachable`));
        return next.request(ctx, request);
      },
    }),
  );
}

function request(init: RequestInit['connection'] = {}) {
  return newRequest({ connection: { network_service: 'svc', ...init } });
}

async function failure(promise: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: codeOf(error), message: messageOf(error) };
  }
  throw new Error('expected a failure');
}

describe('selectEndpointServer', () => {
  const clock = new FakeClock();
  const ctx = Context.background({ clock });

  it('spreads new connections over the endpoints in turn', async () => {
    const chain = manager(
      registryWith(clock, [
        ['e1', {}],
        ['e2', {}],
        ['e3', {}],
      ]),
    );
    const chosen: string[] = [];
    for (let i = 0; i < 6; i++)
      chosen.push((await runRequest(chain, ctx, request())).network_service_endpoint_name);
    expect(chosen).toEqual(['e1', 'e2', 'e3', 'e1', 'e2', 'e3']);
  });

  it('uses the labels through the service matches', async () => {
    const registry = registryWith(clock, [
      ['n1', { nodeName: 'n1' }],
      ['n2', { nodeName: 'n2' }],
    ]);
    registry.registerService({
      name: 'svc',
      matches: [{ source_selector: {}, routes: [{ destination_selector: { nodeName: '{{.nodeName}}' } }] }],
    });
    const chain = manager(registry);
    for (let i = 0; i < 4; i++) {
      const connection = await runRequest(chain, ctx, request({ labels: { nodeName: 'n2' } }));
      expect(connection.network_service_endpoint_name).toBe('n2');
    }
  });

  it('tries the next endpoint when one cannot be reached, and says which failed when none can', async () => {
    const down = new Set(['e1']);
    const seen: string[] = [];
    const chain = manager(
      registryWith(clock, [
        ['e1', {}],
        ['e2', {}],
      ]),
      down,
      seen,
    );
    expect((await runRequest(chain, ctx, request())).network_service_endpoint_name).toBe('e2');
    down.add('e2');
    expect(await failure(runRequest(chain, ctx, request()))).toEqual({
      code: Code.UNAVAILABLE,
      message:
        'none of the 2 endpoints of network service "svc" accepted the connection: e2: e2 is unreachable; e1: e1 is unreachable',
    });
    expect(seen).toEqual(['e1', 'e2', 'e2', 'e1']);
  });

  it('does not try other endpoints for an error about the request itself', async () => {
    const seen: string[] = [];
    const chain = chainServer(
      updatepathServer('nsm'),
      metadataServer(),
      selectEndpointServer({
        registry: registryWith(clock, [
          ['e1', {}],
          ['e2', {}],
        ]),
        logger: silent,
      }),
      defineServer('refuse', {
        request: (_ctx, r) => {
          seen.push(r.connection!.network_service_endpoint_name);
          return Promise.reject(new PermissionDeniedError('not you'));
        },
      }),
    );
    expect((await failure(runRequest(chain, ctx, request()))).code).toBe(Code.PERMISSION_DENIED);
    expect(seen).toHaveLength(1);
  });

  it('honours network_service_endpoint_name, and on reselect tries the previous endpoint last', async () => {
    const registry = registryWith(clock, [
      ['e1', {}],
      ['e2', {}],
    ]);
    const chain = manager(registry);
    const named = await runRequest(chain, ctx, request({ network_service_endpoint_name: 'e2' }));
    expect(named.network_service_endpoint_name).toBe('e2');
    const connection = await runRequest(chain, ctx, request());
    const reselect = request({
      ...connection,
      network_service_endpoint_name: '',
      state: State.RESELECT_REQUESTED,
      path: {
        ...connection.path!,
        path_segments: [
          ...connection.path!.path_segments,
          { name: 'fwd' },
          { name: connection.network_service_endpoint_name },
        ],
      },
    } as Connection);
    const moved = await runRequest(chain, ctx, reselect);
    expect(moved.network_service_endpoint_name).not.toBe(connection.network_service_endpoint_name);
  });

  it('reports an unknown service and unmatched labels as NOT_FOUND', async () => {
    const registry = registryWith(clock, [['n1', { nodeName: 'n1' }]]);
    registry.registerService({
      name: 'svc',
      matches: [{ source_selector: {}, routes: [{ destination_selector: { nodeName: '{{.nodeName}}' } }] }],
    });
    const chain = manager(registry);
    expect(
      await failure(runRequest(chain, ctx, newRequest({ connection: { network_service: 'other' } }))),
    ).toEqual({
      code: Code.NOT_FOUND,
      message: 'network service "other" is unknown: no endpoint is registered for it',
    });
    expect(await failure(runRequest(chain, ctx, request({ labels: { nodeName: 'n9' } })))).toEqual({
      code: Code.NOT_FOUND,
      message: 'none of the 1 endpoints of network service "svc" matches a request with labels {nodeName=n9}',
    });
  });

  it('waits for a named endpoint it does not know yet (after a restart), but not for one it held', async () => {
    const registry = registryWith(clock, []);
    const chain = manager(registry);
    const pending = runRequest(chain, ctx, request({ id: 'c1', network_service_endpoint_name: 'late' }));
    await clock.advance(1000);
    registry.registerEndpoint({ name: 'late', url: 'unix:///run/late.sock', network_service_names: ['svc'] });
    const connection = await pending;
    expect(connection.network_service_endpoint_name).toBe('late');

    registry.unregisterEndpoint('late');
    expect(await failure(runRequest(chain, ctx, request(connection)))).toEqual({
      code: Code.NOT_FOUND,
      message: 'network service endpoint "late" of network service "svc" is no longer registered',
    });
    await runClose(chain, ctx, connection);

    const gone = runRequest(chain, ctx, request({ id: 'c2', network_service_endpoint_name: 'never' }));
    const failed = failure(gone);
    await clock.advance(5000);
    expect(await failed).toEqual({
      code: Code.NOT_FOUND,
      message:
        'network service endpoint "never" of network service "svc" is not registered (waited 5000 ms for it to register again)',
    });
  });
});
