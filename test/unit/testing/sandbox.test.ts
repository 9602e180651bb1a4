import { type ConnectionEvent, timestampToMs } from '../../../sdk/core/index.js';
import { checkRequestServer, countServer, newSandbox } from '../../../sdk/testing/index.js';

describe('newSandbox', () => {
  it('runs request, refresh and close end to end through the standard chains', async () => {
    const endpointCounter = countServer();
    const sandbox = newSandbox({
      endpoint: { name: 'nse', additional: [endpointCounter] },
      client: { name: 'nsc' },
    });
    const connection = await sandbox.request({ connection: { network_service: 'svc' } });

    expect(connection.path!.path_segments.map((s) => s.name)).toEqual(['nsc', 'nse']);
    expect(connection.path!.index).toBe(0);
    expect(connection.id).toBe(connection.path!.path_segments[0]!.id);
    for (const segment of connection.path!.path_segments) {
      expect(segment.token).not.toBe('');
      expect(timestampToMs(segment.expires)).toBe(sandbox.clock.now() + 10 * 60_000);
    }
    const held = sandbox.endpoint.monitor.connections();
    expect(held.map((c) => c.id)).toEqual([connection.path!.path_segments[1]!.id]);

    // Two segments, client at index 0: refresh at 0.2 of the 10-minute lifetime.
    await sandbox.clock.advance(2 * 60_000 - 1);
    expect(endpointCounter.requests).toBe(1);
    await sandbox.clock.advance(1);
    expect(endpointCounter.requests).toBe(2);
    expect(endpointCounter.uniqueRequests).toBe(1);

    await sandbox.close(connection);
    expect(endpointCounter.closes).toBe(1);
    expect(sandbox.endpoint.monitor.connections()).toHaveLength(0);
    await sandbox.clock.advance(60 * 60_000);
    expect([endpointCounter.requests, endpointCounter.closes]).toEqual([2, 1]);
  });

  it('tests a custom endpoint element in a few lines', async () => {
    const sandbox = newSandbox({
      endpoint: {
        additional: [
          checkRequestServer((request) => {
            if (request.connection!.network_service !== 'svc') throw new Error('wrong service');
          }),
        ],
      },
    });
    await expect(sandbox.request({ connection: { network_service: 'other' } })).rejects.toThrow(
      'wrong service',
    );
    await expect(sandbox.request({ connection: { network_service: 'svc' } })).resolves.toBeDefined();
    sandbox.stop();
  });

  it('ends monitor streams and refreshes when stopped', async () => {
    const endpointCounter = countServer();
    const sandbox = newSandbox({ endpoint: { additional: [endpointCounter] } });
    const events = sandbox.endpoint.monitor.subscribe({}, new AbortController().signal);
    await sandbox.request({ connection: { network_service: 'svc' } });
    sandbox.stop();
    const received: ConnectionEvent[] = [];
    for await (const event of events) received.push(event);
    expect(received.map((e) => e.type)).toEqual(['INITIAL_STATE_TRANSFER', 'UPDATE']);
    await sandbox.clock.advance(60 * 60_000);
    expect(endpointCounter.requests).toBe(1);
  });

  it('serves several clients from one endpoint', async () => {
    const sandbox = newSandbox();
    const second = sandbox.newClient({ name: 'second' });
    await sandbox.request({ connection: { network_service: 'svc' } });
    await second.request(sandbox.context(), { connection: { network_service: 'svc' } });
    expect(sandbox.endpoint.monitor.connections({ path_segments: [{ name: 'second' }] })).toHaveLength(1);
    expect(sandbox.endpoint.monitor.connections()).toHaveLength(2);
    sandbox.stop();
  });
});
