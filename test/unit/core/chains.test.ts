import { newClient, newEndpoint } from '../../../sdk/chains/index.js';
import { connectInProcess, connectServer, Context } from '../../../sdk/core/index.js';
import { countServer, FakeClock } from '../../../sdk/testing/index.js';

describe('standard chains', () => {
  it('name their hop by default and accept a returned connection back as a refresh', async () => {
    const clock = new FakeClock();
    const counter = countServer();
    const endpoint = newEndpoint({ additional: [counter] });
    const client = newClient({ connectTo: connectInProcess(endpoint.element), refresh: false });
    const ctx = Context.background({ clock });
    expect(endpoint.name).toMatch(/^endpoint-/);
    expect(client.name).toMatch(/^client-/);

    const connection = await client.request(ctx, { connection: { network_service: 'svc' } });
    const refreshed = await client.request(ctx, { connection, mechanism_preferences: [] });
    expect(refreshed.id).toBe(connection.id);
    expect([counter.requests, counter.uniqueRequests]).toEqual([2, 1]);
    await client.close(ctx, refreshed);
    expect(counter.closes).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('chain through a passthrough endpoint whose inner client shares its name, as an nsmgr does', async () => {
    const clock = new FakeClock();
    const lifetime = new AbortController();
    const last = countServer();
    const target = newEndpoint({ name: 'target', additional: [last], signal: lifetime.signal });
    const inner = newClient({ name: 'proxy', connectTo: connectInProcess(target.element), refresh: false });
    const proxy = newEndpoint({
      name: 'proxy',
      additional: [connectServer(inner.element)],
      signal: lifetime.signal,
    });
    const client = newClient({
      name: 'nsc',
      connectTo: connectInProcess(proxy.element),
      signal: lifetime.signal,
    });
    const ctx = Context.background({ clock });

    const connection = await client.request(ctx, { connection: { network_service: 'svc' } });
    expect(connection.path!.path_segments.map((s) => s.name)).toEqual(['nsc', 'proxy', 'target']);
    expect(proxy.monitor.connections()).toHaveLength(1);
    expect(target.monitor.connections()).toHaveLength(1);

    // The client's refreshes keep all three hops alive well past the tokens' lifetime.
    await clock.advance(60 * 60_000);
    expect(last.closes).toBe(0);
    expect(last.requests).toBeGreaterThan(1);

    await client.close(ctx, connection);
    expect(last.closes).toBe(1);
    expect(proxy.monitor.connections()).toHaveLength(0);
    expect(target.monitor.connections()).toHaveLength(0);
    lifetime.abort();
  });
});
