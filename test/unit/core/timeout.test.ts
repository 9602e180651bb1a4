import {
  beginServer,
  chainServer,
  type Connection,
  Context,
  metadataServer,
  msToTimestamp,
  newRequest,
  runClose,
  runRequest,
  timeoutServer,
  timestampToMs,
  updatepathServer,
} from '../../../sdk/core/index.js';
import { countServer, FakeClock, newSandbox } from '../../../sdk/testing/index.js';

function endpoint() {
  const clock = new FakeClock();
  const after = countServer();
  const chain = chainServer(updatepathServer('nse'), beginServer(), metadataServer(), timeoutServer(), after);
  const ctx = Context.background({ clock });
  /** A request from a client hop whose token expires `lifetimeMs` from now. */
  const request = (lifetimeMs: number | undefined, connection?: Connection) => {
    const base =
      connection ??
      newRequest({ connection: { id: 'nsc-1', path: { index: 0, path_segments: [] } } }).connection!;
    const refreshed = structuredClone(base);
    refreshed.path!.index = 0;
    refreshed.id = 'nsc-1';
    refreshed.path!.path_segments[0] = {
      name: 'nsc',
      id: 'nsc-1',
      token: 't',
      expires: lifetimeMs === undefined ? null : msToTimestamp(clock.now() + lifetimeMs),
      metrics: {},
    };
    return runRequest(chain, ctx, { connection: refreshed, mechanism_preferences: [] });
  };
  return { clock, after, chain, ctx, request };
}

describe('timeoutServer', () => {
  it("closes the connection when the previous segment's token expires", async () => {
    const { clock, after, request } = endpoint();
    await request(60_000);
    await clock.advance(59_999);
    expect(after.closes).toBe(0);
    await clock.advance(1);
    expect(after.closes).toBe(1);
  });

  it('reschedules on a new request and cancels on Close', async () => {
    const { clock, after, chain, ctx, request } = endpoint();
    const connection = await request(60_000);
    await clock.advance(30_000);
    await request(60_000, connection);
    await clock.advance(59_999);
    expect(after.closes).toBe(0);
    await runClose(chain, ctx, connection);
    expect(after.closes).toBe(1);
    await clock.advance(600_000);
    expect(after.closes).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails with a clear error and closes downstream when the previous segment has no expiry', async () => {
    const { after, request } = endpoint();
    await expect(request(undefined)).rejects.toThrow('its previous path segment "nsc" has no expires time');
    expect(after.closes).toBe(1);
  });

  it('keeps the connection and its expiry when a refresh comes without expiry', async () => {
    const { clock, after, request } = endpoint();
    const connection = await request(60_000);
    await expect(request(undefined, connection)).rejects.toThrow('no expires time');
    expect(after.closes).toBe(0);
    await clock.advance(60_000);
    expect(after.closes).toBe(1);
  });
});

describe('timeout with the standard chains', () => {
  it('closes a connection whose client stopped refreshing', async () => {
    const endpointCounter = countServer();
    const sandbox = newSandbox({ endpoint: { additional: [endpointCounter] }, client: { refresh: false } });
    const connection = await sandbox.request({ connection: { network_service: 'svc' } });
    const expires = timestampToMs(connection.path!.path_segments[0]!.expires)!;
    await sandbox.clock.advance(expires - sandbox.clock.now() - 1);
    expect(sandbox.endpoint.monitor.connections()).toHaveLength(1);
    await sandbox.clock.advance(1);
    expect(endpointCounter.closes).toBe(1);
    expect(sandbox.endpoint.monitor.connections()).toHaveLength(0);
  });

  it('keeps a connection whose client refreshes', async () => {
    const endpointCounter = countServer();
    const sandbox = newSandbox({ endpoint: { additional: [endpointCounter] } });
    await sandbox.request({ connection: { network_service: 'svc' } });
    await sandbox.clock.advance(60 * 60_000);
    expect(endpointCounter.closes).toBe(0);
    expect(endpointCounter.requests).toBeGreaterThan(1);
    expect(sandbox.endpoint.monitor.connections()).toHaveLength(1);
    sandbox.stop();
  });
});
