/**
 * Start-up time of the `meridio` command: each command below is spawned N times (interleaved, so a
 * busy moment of the machine spreads over all of them) and timed from spawn to exit. `node -e 0`,
 * measured in the same run, is the floor no command can go under. None of the commands needs root or
 * a running instance: help texts, and `local status` on a state directory that does not exist.
 * Prints one line per command, then one JSON line last: the median ms of each. Run with
 * `npm run bench:startup` (RUNS=N to change the number of runs, default 15).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const MERIDIO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'meridio.js');
const RUNS = Number(process.env.RUNS ?? 15);

/** The name in the JSON line, and the arguments after `node`. */
const COMMANDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['node_floor', ['-e', '0']],
  ['help', [MERIDIO, '--help']],
  ['local_help', [MERIDIO, 'local', '--help']],
  ['local_status_missing', [MERIDIO, 'local', 'status', '--state-dir', '/nonexistent']],
  ['nsp_help', [MERIDIO, 'nsp', '--help']],
];

/** The exit code each command has when it works as it should (status of nothing is an error). */
const EXPECTED_EXIT: Readonly<Record<string, number>> = { local_status_missing: 1 };

function timeOnce(name: string, args: readonly string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = performance.now() - started;
  const expected = EXPECTED_EXIT[name] ?? 0;
  if (result.status !== expected) {
    throw new Error(
      `"node ${args.join(' ')}" exited with ${String(result.status)} instead of ${expected}: ${result.stderr.toString()}`,
    );
  }
  return elapsed;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function main(): void {
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`RUNS must be a positive integer, not ${RUNS}`);
  const samples = new Map<string, number[]>(COMMANDS.map(([name]) => [name, []]));
  // One warm-up round fills the page cache, so the first sample is not an outlier.
  for (const [name, args] of COMMANDS) timeOnce(name, args);
  for (let run = 0; run < RUNS; run++) {
    for (const [name, args] of COMMANDS) samples.get(name)!.push(timeOnce(name, args));
  }
  const summary: Record<string, number> = { runs: RUNS };
  for (const [name, values] of samples) {
    const ms = Math.round(median(values));
    summary[`${name}_median_ms`] = ms;
    const sorted = [...values].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(22)} median ${ms} ms (min ${Math.round(sorted[0]!)}, max ${Math.round(sorted.at(-1)!)})`,
    );
  }
  console.log(JSON.stringify(summary));
}

main();
