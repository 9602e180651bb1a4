import { FullMesh } from '../../../endpoints/proxy/index.js';
import {
  type Connection,
  Context,
  defineServer,
  newConnection,
  UnavailableError,
} from '../../../sdk/core/index.js';
import {
  type EndpointEvent,
  newNetworkServiceEndpoint,
  type NetworkServiceEndpointInit,
} from '../../../sdk/registry/index.js';
import { countServer, newSandbox } from '../../../sdk/testing/index.js';
import { eventually } from '../services/helpers.js';

/** A registry watch the test drives: it pushes endpoint events; the watch ends when its signal aborts. */
class ScriptedWatch {
  private readonly queue: EndpointEvent[] = [];
  private wake: (() => void) | undefined;
  query: NetworkServiceEndpointInit | undefined;

  push(name: string, deleted = false): void {
    this.queue.push({
      item: newNetworkServiceEndpoint({ name, network_service_names: ['load-balancer'] }),
      deleted,
    });
    this.wake?.();
  }

  watchEndpoints = (
    query: NetworkServiceEndpointInit = {},
    signal?: AbortSignal,
  ): AsyncIterable<EndpointEvent> => {
    this.query = query;
    return { [Symbol.asyncIterator]: () => this.events(signal) };
  };

  private async *events(signal: AbortSignal | undefined): AsyncGenerator<EndpointEvent> {
    while (!signal?.aborted) {
      const event = this.queue.shift();
      if (event !== undefined) {
        yield event;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}

function setup(failFirst = 0, recovered: Connection[] = []) {
  const counter = countServer();
  const seen: Connection[] = [];
  let failures = failFirst;
  const sandbox = newSandbox({
    endpoint: {
      additional: [
        defineServer('lb', {
          request: (ctx, request, next) => {
            if (failures > 0) {
              failures--;
              return Promise.reject(new UnavailableError('the LB is not ready'));
            }
            seen.push(structuredClone(request.connection!));
            return next.request(ctx, request);
          },
        }),
        counter,
      ],
    },
  });
  const watch = new ScriptedWatch();
  const mesh = new FullMesh({
    client: sandbox.client,
    registry: watch,
    service: 'load-balancer',
    name: 'proxy-node-1',
    labels: { nodeName: 'node-1' },
    root: Context.background(),
    requestTimeoutMs: 2000,
    retryMs: 5,
    recovered,
  });
  return { sandbox, counter, seen, watch, mesh };
}

describe('FullMesh', () => {
  it('connects to every load balancer as it appears, naming it, and closes the connection when it goes', async () => {
    const { sandbox, counter, seen, watch, mesh } = setup();
    mesh.start();
    watch.push('lb-a');
    watch.push('lb-b');
    await eventually(() => mesh.connections().size === 2, 'both LBs connected');
    expect(watch.query).toEqual({ network_service_names: ['load-balancer'] });
    expect(seen.map((c) => [c.network_service, c.network_service_endpoint_name, c.labels]).sort()).toEqual([
      ['load-balancer', 'lb-a', { nodeName: 'node-1' }],
      ['load-balancer', 'lb-b', { nodeName: 'node-1' }],
    ]);
    expect([...mesh.connections().values()].map((c) => c.id).sort()).toEqual([
      'proxy-node-1-lb-a',
      'proxy-node-1-lb-b',
    ]);
    watch.push('lb-a');
    watch.push('lb-b', true);
    await eventually(() => counter.closes === 1, 'lb-b closed');
    expect([...mesh.connections().keys()]).toEqual(['lb-a']);
    expect(counter.uniqueRequests).toBe(2);
    await mesh.stop();
    expect(counter.closes).toBe(2);
    expect(mesh.connections().size).toBe(0);
    sandbox.stop();
  });

  it('requests a connection an earlier run left as it is, so its addresses come back', async () => {
    const left = newConnection({
      id: 'proxy-node-1-lb-a',
      network_service: 'load-balancer',
      network_service_endpoint_name: 'lb-a',
      context: { ip_context: { dst_ip_addrs: ['172.16.0.9/24'] } },
    });
    const { sandbox, seen, watch, mesh } = setup(0, [left]);
    mesh.start();
    watch.push('lb-a');
    watch.push('lb-b');
    await eventually(() => mesh.connections().size === 2, 'both LBs connected');
    const toA = seen.find((c) => c.network_service_endpoint_name === 'lb-a')!;
    expect(toA.context?.ip_context?.dst_ip_addrs).toEqual(['172.16.0.9/24']);
    expect(seen.find((c) => c.network_service_endpoint_name === 'lb-b')!.context).toBeNull();
    await mesh.stop();
    sandbox.stop();
  });

  it('asks a load balancer again until it answers, and stops asking when it goes', async () => {
    const { sandbox, counter, watch, mesh } = setup(3);
    mesh.start();
    watch.push('lb-a');
    await eventually(() => mesh.connections().size === 1, 'lb-a connected after three refusals');
    expect(counter.requests).toBe(1);
    await mesh.stop();
    sandbox.stop();

    const never = setup(Number.MAX_SAFE_INTEGER);
    never.mesh.start();
    never.watch.push('lb-z');
    never.watch.push('lb-z', true);
    await never.mesh.stop();
    expect(never.counter.requests).toBe(0);
    expect(never.mesh.connections().size).toBe(0);
    never.sandbox.stop();
  });
});
