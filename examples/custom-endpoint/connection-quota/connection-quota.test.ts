import { Code, ResourceExhaustedError } from '../../../sdk/core/index.js';
import { describeElementContract, injectErrorServer, newSandbox } from '../../../sdk/testing/index.js';
import { connectionQuota } from './index.js';

// One line: the element contract (calls next, undoes on failure, idempotent close, refresh keeps it).
describeElementContract('connectionQuota', () => connectionQuota(1));

describe('connectionQuota', () => {
  it('admits up to its quota, refuses the next with RESOURCE_EXHAUSTED, and frees a slot on close', async () => {
    const quota = connectionQuota(2);
    const sandbox = newSandbox({ endpoint: { additional: [quota] } });
    const first = await sandbox.request({ connection: { id: 'a', network_service: 's' } });
    await sandbox.request({ connection: { id: 'b', network_service: 's' } });
    await expect(sandbox.request({ connection: { id: 'c', network_service: 's' } })).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
      message: 'the endpoint is at its quota of 2 connections: close one first',
    });
    await sandbox.request({ connection: first, mechanism_preferences: [] });
    expect(quota.active()).toBe(2);
    await sandbox.close(first);
    await expect(sandbox.request({ connection: { id: 'c', network_service: 's' } })).resolves.toMatchObject({
      id: 'c',
    });
    sandbox.stop();
  });

  it('gives the slot back when the rest of the chain fails', async () => {
    const quota = connectionQuota(1);
    const failOnce = injectErrorServer({
      error: new ResourceExhaustedError('no addresses'),
      requestErrorTimes: [0],
    });
    const sandbox = newSandbox({ endpoint: { additional: [quota, failOnce] } });
    await expect(sandbox.request({ connection: { id: 'a', network_service: 's' } })).rejects.toThrow(
      'no addresses',
    );
    expect(quota.active()).toBe(0);
    await expect(sandbox.request({ connection: { id: 'b', network_service: 's' } })).resolves.toMatchObject({
      id: 'b',
    });
    sandbox.stop();
  });

  it('rejects a quota that admits nothing', () => {
    expect(() => connectionQuota(0)).toThrow(
      'a connection quota must be a whole number of at least 1, not 0',
    );
  });
});
