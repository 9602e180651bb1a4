/**
 * `make demo` (for now): the example endpoint and a client in one process, talking gRPC over a unix
 * socket, composed with sdk/di. Prints a readable summary; exits non-zero if the session went wrong.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreTokens, disposeContainer, resolve } from '../../sdk/di/index.js';
import { loadConfig } from './config.js';
import { createClientContainer, createEndpointContainer, ExampleTokens } from './container.js';
import { runClientSession } from './session.js';
import { summaryLines } from './summary.js';

async function main(): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'custom-endpoint-'));
  const config = loadConfig({ NSE_LISTEN: `unix://${join(dir, 'nse.sock')}`, ...process.env });
  const endpointProcess = createEndpointContainer(config);
  const clientProcess = createClientContainer({
    name: 'demo-nsc',
    target: config.listen,
    logLevel: config.logLevel,
  });
  try {
    await resolve(endpointProcess, ExampleTokens.Server).start();
    const report = await runClientSession(
      resolve(clientProcess, ExampleTokens.Client),
      resolve(clientProcess, CoreTokens.RootContext),
      config.networkService,
    );
    const parts = resolve(endpointProcess, ExampleTokens.Endpoint);
    const after = {
      connections: parts.endpoint.monitor.connections().length,
      leasedAddresses: parts.ipam.allocatedAddresses(),
      quotaInUse: parts.quota.active(),
    };
    for (const line of summaryLines(config, report, after)) console.log(line);
    return report.addressesKept && after.connections === 0 && after.leasedAddresses === 0;
  } finally {
    await disposeContainer(clientProcess);
    await disposeContainer(endpointProcess);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
