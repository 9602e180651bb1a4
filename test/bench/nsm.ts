/**
 * Benchmark (not a test): 100 connections from a client namespace to an endpoint namespace through the
 * embedded NSM (in process, over its unix socket): request-to-ready latency — the Request returns once
 * the forwarder has made the veth pair, brought both ends up and put the addresses (IPv4 + IPv6) and
 * routes on them — and close latency; and, in the same run, the same veth pairs with addresses made by
 * one `ip` command per step as the baseline. Prints one JSON line last:
 * {"setup_p50_ms":…, "setup_p99_ms":…, "close_p50_ms":…, "iproute2_setup_p50_ms":…}. Needs root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { startNsm } from '../../endpoints/nsm/index.js';
import { newClient } from '../../sdk/chains/index.js';
import { type Connection, Context } from '../../sdk/core/index.js';
import { GrpcChannelCache, grpcConnect } from '../../sdk/grpc/index.js';
import { createKernel } from '../../sdk/kernel/index.js';
import { interfaceNameClient } from '../../sdk/middleware/interface-name/index.js';
import { kernelMechanismClient } from '../../sdk/middleware/kernel-mechanism/index.js';
import { registrationOf, startTestEndpoint } from '../integration/nsm/fixtures.js';

const CONNECTIONS = 100;
const prefix = `nbench${process.pid}-`;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, at)]! * 1000) / 1000;
}

/** The baseline: what the forwarder does for one connection, as iproute2 commands. */
function viaIproute2(client: string, endpoint: string, i: number): void {
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'ignore' });
  const [c, e] = [`ip${i}c`, `ip${i}e`];
  ip('-n', client, 'link', 'add', c, 'up', 'type', 'veth', 'peer', 'name', e, 'netns', endpoint);
  ip('-n', endpoint, 'link', 'set', e, 'up');
  ip('-n', client, 'addr', 'add', `172.31.${i}.2/32`, 'dev', c);
  ip('-n', client, 'addr', 'add', `fd00:31:${i.toString(16)}::2/128`, 'dev', c, 'nodad');
  ip('-n', endpoint, 'addr', 'add', `172.31.${i}.1/32`, 'dev', e);
  ip('-n', endpoint, 'addr', 'add', `fd00:31:${i.toString(16)}::1/128`, 'dev', e, 'nodad');
}

async function main(): Promise<void> {
  const kernel = createKernel();
  const names = ['a', 'b', 'ipa', 'ipb'].map((suffix) => `${prefix}${suffix}`);
  const dir = mkdtempSync(join(tmpdir(), 'nsm-bench-'));
  const lifetime = new AbortController();
  const channels = new GrpcChannelCache();
  try {
    for (const name of names) kernel.createNamespace(name);
    const [a, b, ipa, ipb] = names as [string, string, string, string];
    const nsm = await startNsm({ socket: join(dir, 'nsm.sock') });
    const options = {
      name: 'bench-nse',
      service: 'bench',
      netns: b,
      socketDir: dir,
      ipam: { ipv4: '172.30.200', ipv6: 'fd00:30:200::' },
    };
    const endpoint = await startTestEndpoint(options);
    nsm.registry.registerEndpoint(registrationOf(endpoint, options));
    const client = newClient({
      signal: lifetime.signal,
      connectTo: grpcConnect({ target: nsm.address, channels }),
      additional: [kernelMechanismClient({ netns: a }), interfaceNameClient()],
    });
    const ctx = Context.background();
    // One warm-up connection: channels, handles and code paths, as a running NSM has them.
    await client.close(ctx, await client.request(ctx, { connection: { network_service: 'bench' } }));

    const setup: number[] = [];
    const connections: Connection[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const start = performance.now();
      connections.push(await client.request(ctx, { connection: { network_service: 'bench' } }));
      setup.push(performance.now() - start);
    }
    const links = (await kernel.netns(a).links.list()).filter((l) => l.kind === 'veth').length;
    if (links !== CONNECTIONS)
      throw new Error(`expected ${CONNECTIONS} veth links in the client namespace, found ${links}`);
    const close: number[] = [];
    for (const connection of connections) {
      const start = performance.now();
      await client.close(ctx, connection);
      close.push(performance.now() - start);
    }
    const iproute2: number[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const start = performance.now();
      viaIproute2(ipa, ipb, i);
      iproute2.push(performance.now() - start);
    }
    await endpoint.stop();
    await nsm.stop();
    console.log(
      JSON.stringify({
        setup_p50_ms: percentile(setup, 50),
        setup_p99_ms: percentile(setup, 99),
        close_p50_ms: percentile(close, 50),
        iproute2_setup_p50_ms: percentile(iproute2, 50),
        close_p99_ms: percentile(close, 99),
        iproute2_setup_p99_ms: percentile(iproute2, 99),
        connections: CONNECTIONS,
      }),
    );
  } finally {
    lifetime.abort();
    channels.close();
    for (const name of names) kernel.deleteNamespace(name);
    kernel.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
