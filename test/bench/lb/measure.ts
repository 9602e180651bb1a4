/** Counters the benchmark samples: packets the LB forwarded, and a process's CPU time. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Packets sent by the LB towards the targets (tx of its target-side interfaces lt1..ltN). */
export function forwardedPackets(lb: string, targets: number): number {
  const links = JSON.parse(
    execFileSync('ip', ['-n', lb, '-s', '-j', 'link', 'show'], { encoding: 'utf8' }),
  ) as { ifname: string; stats64: { tx: { packets: number } } }[];
  let total = 0;
  for (let i = 1; i <= targets; i++)
    total += links.find((link) => link.ifname === `lt${i}`)?.stats64.tx.packets ?? 0;
  return total;
}

/** Packets each target received from the LB. */
export function forwardedPerTarget(lb: string, targets: number): number[] {
  const links = JSON.parse(
    execFileSync('ip', ['-n', lb, '-s', '-j', 'link', 'show'], { encoding: 'utf8' }),
  ) as { ifname: string; stats64: { tx: { packets: number } } }[];
  return Array.from(
    { length: targets },
    (_, i) => links.find((link) => link.ifname === `lt${i + 1}`)?.stats64.tx.packets ?? 0,
  );
}

/** CPU time of all threads of a process in nanoseconds (schedstat: exact, unlike clock ticks). */
export function processCpuNs(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Share of both CPUs busy over `ms` (0..1), from /proc/stat. */
export async function machineBusy(ms: number): Promise<number> {
  const before = cpuTimes();
  await new Promise((done) => setTimeout(done, ms));
  const after = cpuTimes();
  return (after.busy - before.busy) / Math.max(1, after.total - before.total);
}

/**
 * Waits (up to `maxWaitMs`) until other work on the machine uses less than `threshold` of the CPUs,
 * so a run measures the LB rather than a neighbour; returns the busy share seen last.
 */
export async function waitForQuiet(threshold: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const busy = await machineBusy(500);
    if (busy < threshold || Date.now() > deadline) return busy;
  }
}
