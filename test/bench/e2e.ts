/**
 * Benchmark (not a test) of `meridio local` end to end. Needs root. In one run:
 * - up_s: `meridio local up` with the defaults (2 LBs, 2 proxies, 4 targets, two VIPs), until ready;
 * - conns_per_s: new TCP connections per second through the IPv4 VIP from the external host (64
 *   connections in flight, each: connect, one 64-byte exchange with the host header, reset);
 * - join_to_traffic: a target's registration at the NSP (polled every 20 ms) to the first new
 *   connection it receives, over 20 joins (scale 4 → 5 → 4, repeated) while a ctraffic client opens
 *   200 connections per second.
 * Prints one JSON line last: {"up_s":…, "conns_per_s":…, "join_to_traffic_p50_ms":…, "join_to_traffic_p99_ms":…}.
 */

import type { Statistics } from '../../clients/ctraffic/index.js';
import { createNspClient } from '../../sdk/services/nsp/index.js';
import {
  bringUp,
  e2eUnavailableReason,
  newInstance,
  requireBuild,
  VIP4,
  warningsSince,
} from '../e2e/local-instance.js';
import { scriptIn } from '../e2e/flows.js';

const JOINS = 20;
const CHURN_PER_S = 200;
const RATE_SECONDS = 5;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Runs in the external host's namespace: as many short connections as it can for the given seconds. */
const RATE_SCRIPT = `
const net = require('node:net');
const [host, port, seconds, parallel] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const end = Date.now() + seconds * 1000;
let done = 0, failed = 0;
function one() {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let got = 0;
    const fail = () => { failed++; socket.destroy(); resolve(); };
    socket.setTimeout(2000, fail);
    socket.on('error', fail);
    socket.on('connect', () => socket.write(Buffer.alloc(64)));
    socket.on('data', (chunk) => { got += chunk.length; if (got >= 64) { done++; socket.resetAndDestroy(); resolve(); } });
  });
}
async function worker() { while (Date.now() < end) await one(); }
(async () => {
  const started = Date.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  process.stdout.write(JSON.stringify({ done, failed, seconds: (Date.now() - started) / 1000 }));
})();
`;

function connectionRate(namespace: string): Promise<{ done: number; failed: number; seconds: number }> {
  const [host, port] = VIP4.split(':');
  return scriptIn(namespace, RATE_SCRIPT, [host!, port!, String(RATE_SECONDS), '64']);
}

/** When each address (re)appeared at the NSP, polled every 20 ms until stopped. */
function watchNsp(socket: string): { appeared: Map<string, number>; stop(): void } {
  const nsp = createNspClient({ address: `unix://${socket}` });
  const appeared = new Map<string, number>();
  let present = new Set<string>();
  let running = true;
  void (async () => {
    while (running) {
      try {
        const now = new Set(
          (await nsp.getTargets({ timeoutMs: 1000 })).flatMap((t) => t.ips.map((ip) => ip.split('/')[0]!)),
        );
        for (const ip of now) if (!present.has(ip)) appeared.set(ip, Date.now());
        present = now;
      } catch {
        // The next poll catches up.
      }
      await pause(20);
    }
    nsp.close();
  })();
  return { appeared, stop: () => (running = false) };
}

async function main(): Promise<void> {
  const reason = e2eUnavailableReason();
  if (reason !== undefined) {
    console.error(`bench:e2e cannot run here: ${reason}.`);
    process.exitCode = 1;
    return;
  }
  requireBuild();
  const instance = newInstance('bench');
  try {
    const upMs = await bringUp(instance);
    console.log(`up: ${(upMs / 1000).toFixed(1)} s`);

    const rate = await connectionRate(`${instance.prefix}-ext`);
    const connsPerS = rate.done / rate.seconds;
    console.log(`new connections through ${VIP4}: ${connsPerS.toFixed(0)}/s (${rate.failed} failed)`);

    const nsp = watchNsp(`${instance.stateDir}/sockets/nsp.sock`);
    const stop = new AbortController();
    const client: Promise<Statistics> = instance.ctraffic({
      address: VIP4,
      nconn: 1,
      newConnRate: CHURN_PER_S,
      connLifetimeMs: 300,
      durationMs: 3_600_000,
      signal: stop.signal,
    });
    const joins: { name: string; registeredAt: number; removedAt: number }[] = [];
    try {
      await pause(2000);
      for (let join = 0; join < JOINS; join++) {
        const grow = await instance.local('scale', '--targets', '5');
        if (grow.code !== 0) {
          const logged = warningsSince(instance, Date.now() - 180_000, 200).join('\n');
          throw new Error(
            `scale to 5 failed (join ${join + 1}): ${grow.stderr}\nwhat was logged:\n${logged}`,
          );
        }
        const added = (await instance.status()).targets.find((t) => t.name === 'target-5')!;
        const registeredAt = Math.min(...added.ips.map((ip) => nsp.appeared.get(ip) ?? Infinity));
        await pause(1000);
        const removedAt = Date.now();
        const shrink = await instance.local('scale', '--targets', '4');
        if (shrink.code !== 0) throw new Error(`scale to 4 failed: ${shrink.stderr}`);
        joins.push({ name: added.name, registeredAt, removedAt });
      }
    } finally {
      stop.abort();
      nsp.stop();
    }
    const stats = await client;
    const base = Date.parse(stats.Started);
    const latencies = joins.map((join) => {
      const first = Math.min(
        ...(stats.ConnStats ?? [])
          .filter((c) => c.Host === join.name)
          .map((c) => base + c.Started / 1e6)
          .filter((at) => at >= join.registeredAt - 100 && at <= join.removedAt),
      );
      return Math.max(0, first - join.registeredAt);
    });
    console.log(
      `registration → first new connection (ms): ${latencies.map((ms) => ms.toFixed(0)).join(' ')}`,
    );
    console.log(
      JSON.stringify({
        up_s: Math.round(upMs / 100) / 10,
        conns_per_s: Math.round(connsPerS),
        join_to_traffic_p50_ms: Math.round(percentile(latencies, 50)),
        join_to_traffic_p99_ms: Math.round(percentile(latencies, 99)),
      }),
    );
  } finally {
    await instance.down();
  }
}

await main();
