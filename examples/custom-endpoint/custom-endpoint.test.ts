import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { Code } from '../../sdk/core/index.js';
import { CoreTokens, disposeContainer, resolve } from '../../sdk/di/index.js';
import { loadConfig } from './config.js';
import { createClientContainer, createEndpointContainer, ExampleTokens } from './container.js';
import { runClientSession } from './session.js';
import { summaryLines } from './summary.js';

describe('the custom-endpoint example over gRPC', () => {
  it('requests, refreshes, is refused a second connection by its quota, and closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custom-endpoint-test-'));
    const silent = pino({ level: 'silent' });
    const config = loadConfig({
      NSE_LISTEN: `unix://${join(dir, 'nse.sock')}`,
      NSE_PREFIXES: '10.10.0.0/30',
    });
    const endpointProcess = createEndpointContainer(config, { logger: silent });
    const clientProcess = createClientContainer(
      { name: 'test-nsc', target: config.listen, logLevel: 'silent' },
      { logger: silent },
    );
    try {
      await resolve(endpointProcess, ExampleTokens.Server).start();
      const report = await runClientSession(
        resolve(clientProcess, ExampleTokens.Client),
        resolve(clientProcess, CoreTokens.RootContext),
        config.networkService,
      );
      expect(report.requested.context?.ip_context).toMatchObject({
        dst_ip_addrs: ['10.10.0.0/32'],
        src_ip_addrs: ['10.10.0.1/32'],
      });
      expect(report.requested.context?.extra_context).toEqual({
        trench: 'trench-a',
        owner: 'custom-endpoint',
      });
      expect(report.addressesKept).toBe(true);
      expect(report.secondConnection).toEqual({
        code: Code.RESOURCE_EXHAUSTED,
        message: 'the endpoint is at its quota of 1 connection: close one first',
      });
      const parts = resolve(endpointProcess, ExampleTokens.Endpoint);
      expect(parts.ipam.allocatedAddresses()).toBe(0);
      expect(parts.endpoint.monitor.connections()).toEqual([]);
      const lines = summaryLines(config, report, { connections: 0, leasedAddresses: 0, quotaInUse: 0 });
      expect(lines.join('\n')).toContain('2. refresh: same addresses, same connection');
    } finally {
      await disposeContainer(clientProcess);
      await disposeContainer(endpointProcess);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains a bad configuration', () => {
    expect(() => loadConfig({ NSE_PREFIXES: '10.0.0.0/33' })).toThrow(
      'NSE_PREFIXES item "10.0.0.0/33" has an invalid prefix length: IPv4 allows 0 to 32',
    );
    expect(() => loadConfig({ NSE_MAX_CONNECTIONS: 'many' })).toThrow(
      'NSE_MAX_CONNECTIONS must be a whole number',
    );
    expect(() => loadConfig({ NSE_LISTEN: 'unix://relative' })).toThrow('is not a valid unix address');
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow('LOG_LEVEL "loud" is not a pino level');
  });
});
