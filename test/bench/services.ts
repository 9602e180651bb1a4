/**
 * Benchmark of the NSP and IPAM services over real gRPC on unix sockets with SQLite files:
 * - ipam_allocs_per_s: Allocate calls answered per second, 50 clients with one call in flight each;
 * - nsp_registers_per_s: Register calls of new targets answered per second, 50 clients likewise;
 * - monitor_fanout_p99_ms: with 1,000 targets registered and 10 Monitor subscribers, the 99th
 *   percentile of the delay from sending a Register to its event arriving at each subscriber.
 * Prints progress, then one JSON line last. Run with `npm run bench:services`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import pino from 'pino';

import { startIpamService } from '../../endpoints/ipam/index.js';
import { startNspService } from '../../endpoints/nsp/index.js';
import { createIpamClient } from '../../sdk/services/ipam/index.js';
import { createNspClient, normaliseTarget, type NspClient } from '../../sdk/services/nsp/index.js';

const CLIENTS = 50;
const ALLOCATIONS = 5000;
const TARGETS = 1000;
const SUBSCRIBERS = 10;
const PROBES = 300;
const silent = pino({ level: 'silent' });
const ownChannel = { 'grpc.use_local_subchannel_pool': 1 };

function target(n: number): { ips: string[]; context: Record<string, string> } {
  return {
    ips: [`10.${n >> 16}.${(n >> 8) & 255}.${n & 255}/16`, `fd00::${n.toString(16)}/64`],
    context: { identifier: String(n) },
  };
}

/** Runs `total` jobs with `workers` of them in flight at a time; returns the elapsed seconds. */
async function inParallel(
  total: number,
  workers: number,
  job: (index: number, worker: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (next < total) await job(next++, worker);
    }),
  );
  return (performance.now() - start) / 1000;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function benchIpam(dir: string): Promise<number> {
  const listen = `unix://${join(dir, 'ipam.sock')}`;
  const service = await startIpamService({ listen, databasePath: join(dir, 'ipam.db'), logger: silent });
  const clients = Array.from({ length: CLIENTS }, () =>
    createIpamClient({ address: listen, channelOptions: ownChannel }),
  );
  try {
    await Promise.all(
      clients.map((client, i) =>
        client.allocate({ pool: '172.16.0.0/12', prefixLength: 24, owner: `warm-${i}` }),
      ),
    );
    const seconds = await inParallel(ALLOCATIONS, CLIENTS, (i, worker) =>
      clients[worker]!.allocate(
        i % 2 === 0 ? { pool: '10.0.0.0/8', prefixLength: 24 } : { pool: 'fd00::/48', prefixLength: 64 },
      ),
    );
    return ALLOCATIONS / seconds;
  } finally {
    for (const client of clients) client.close();
    await service.stop();
  }
}

async function benchNsp(dir: string): Promise<{ registersPerSecond: number; fanoutP99Ms: number }> {
  const listen = `unix://${join(dir, 'nsp.sock')}`;
  const service = await startNspService({
    listen,
    databasePath: join(dir, 'nsp.db'),
    keepaliveMs: 600_000,
    logger: silent,
  });
  const clients: NspClient[] = Array.from({ length: CLIENTS }, () =>
    createNspClient({ address: listen, channelOptions: ownChannel }),
  );
  const subscribers: NspClient[] = Array.from({ length: SUBSCRIBERS }, () =>
    createNspClient({ address: listen, channelOptions: ownChannel }),
  );
  const streams = subscribers.map((client) => client.monitor());
  try {
    await Promise.all(clients.map((client) => client.getTargets()));
    const seconds = await inParallel(TARGETS, CLIENTS, (i, worker) =>
      clients[worker]!.register(target(i + 1)),
    );
    const registersPerSecond = TARGETS / seconds;

    // Fan-out: subscribers that joined with 1,000 targets registered, then one Register at a time.
    for (const stream of streams) stream.cancel();
    const watching = subscribers.map((client) => client.monitor());
    const sentAt = new Map<string, number>();
    const delays: number[] = [];
    let arrivals = 0;
    let notify: (() => void) | undefined;
    const readers = watching.map(async (stream) => {
      let skipped = 0;
      const snapshot = (await stream.snapshotSize) ?? 0;
      for await (const event of stream) {
        if (skipped++ < snapshot) continue;
        const sent = sentAt.get(normaliseTarget(event.target).key);
        if (sent !== undefined && event.status === 'Register') delays.push(performance.now() - sent);
        arrivals++;
        notify?.();
      }
    });
    await Promise.all(watching.map((stream) => stream.snapshotSize));
    for (let probe = 0; probe < PROBES; probe++) {
      const next = target(TARGETS + 1 + probe);
      const expected = (probe + 1) * SUBSCRIBERS;
      sentAt.set(normaliseTarget(next).key, performance.now());
      await clients[probe % CLIENTS]!.register(next);
      while (arrivals < expected) await new Promise<void>((resolve) => (notify = resolve));
    }
    for (const stream of watching) stream.cancel();
    await Promise.allSettled(readers);
    return { registersPerSecond, fanoutP99Ms: percentile(delays, 99) };
  } finally {
    for (const client of [...clients, ...subscribers]) client.close();
    await service.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meridio-bench-services-'));
  try {
    const ipamAllocsPerSecond = await benchIpam(dir);
    console.log(
      `IPAM: ${ALLOCATIONS} allocations by ${CLIENTS} clients: ${ipamAllocsPerSecond.toFixed(0)}/s`,
    );
    const nsp = await benchNsp(dir);
    console.log(
      `NSP: ${TARGETS} registrations by ${CLIENTS} clients: ${nsp.registersPerSecond.toFixed(0)}/s`,
    );
    console.log(
      `NSP: ${PROBES} registrations seen by ${SUBSCRIBERS} subscribers: p99 ${nsp.fanoutP99Ms.toFixed(2)} ms`,
    );
    console.log(
      JSON.stringify({
        ipam_allocs_per_s: Math.round(ipamAllocsPerSecond),
        nsp_registers_per_s: Math.round(nsp.registersPerSecond),
        monitor_fanout_p99_ms: Number(nsp.fanoutP99Ms.toFixed(3)),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
