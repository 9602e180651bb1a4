/**
 * Benchmark (not a test): runtime VIP changes in local mode. Brings up `meridio local` (defaults: 2 LBs,
 * 2 proxies, 4 targets), then 20 times adds a VIP with `meridio local vip add` and measures until every
 * target answers on it from the external host (from the moment the CLI has written the change), then
 * removes each and measures until the LBs' iptables
 * rules, the proxies' source rules and the targets' loopback addresses for it are all gone. The CLI's
 * own start-up time (`meridio local status`, measured in the same run) is printed beside. Prints one
 * JSON line last: {"vip_add_to_reachable_p50_ms":…, "vip_add_to_reachable_p99_ms":…,
 * "vip_remove_to_gone_p50_ms":…}. Needs root; `make build` first (the npm script does it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const MERIDIO = join(process.cwd(), 'dist', 'bin', 'meridio.js');
const PROBE = join(process.cwd(), 'dist', 'test', 'bench', 'config', 'probe.js');
const PREFIX = `mcfg${process.pid % 10000}`;
const STATE = `/tmp/meridio-bench-config-${process.pid}`;
const CHANGES = 20;

interface Status {
  external: { namespace: string };
  lbs: { namespace: string }[];
  proxies: { namespace: string }[];
  targets: { namespace: string }[];
}

function local(...args: string[]): string {
  return execFileSync('node', [MERIDIO, 'local', ...args, '--state-dir', STATE], { encoding: 'utf8' });
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

/** Whether `text` names `address` as a whole (30.0.0.1 is not in 30.0.0.11). */
function mentions(text: string, address: string): boolean {
  const escaped = address.replace(/[.]/g, '\\.');
  return new RegExp(`(^|[^0-9a-fA-F:.])${escaped}([^0-9a-fA-F:.]|$)`, 'm').test(text);
}

/** Whether any component still holds the VIP: LB queue rule, proxy source rule, target loopback address. */
function vipStillApplied(status: Status, address: string): boolean {
  const family = address.includes(':') ? '-6' : '-4';
  const iptables = address.includes(':') ? 'ip6tables-save' : 'iptables-save';
  return (
    status.lbs.some((lb) =>
      mentions(run('ip', ['netns', 'exec', lb.namespace, iptables, '-t', 'mangle']), address),
    ) ||
    status.proxies.some((proxy) =>
      mentions(run('ip', [family, '-n', proxy.namespace, 'rule', 'show']), address),
    ) ||
    status.targets.some((target) =>
      mentions(run('ip', [family, '-n', target.namespace, 'addr', 'show', 'dev', 'lo']), address),
    )
  );
}

async function main(): Promise<void> {
  try {
    local('up', '--prefix', PREFIX);
    await measure(JSON.parse(local('status', '--json')) as Status);
  } finally {
    local('down');
  }
}

async function measure(status: Status): Promise<void> {
  const probe = spawn('ip', ['netns', 'exec', status.external.namespace, 'node', PROBE], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const answers = createInterface({ input: probe.stdout })[Symbol.asyncIterator]();
  const vips = Array.from({ length: CHANGES }, (_, i) =>
    i % 2 === 0
      ? { cidr: `30.0.0.${i + 1}/32`, address: `30.0.0.${i + 1}` }
      : { cidr: `3000::${i + 1}/128`, address: `3000::${i + 1}` },
  );
  const added: number[] = [];
  const removed: number[] = [];
  const cli: number[] = [];
  try {
    for (const vip of vips) {
      // From the moment the CLI has written the change (its own start-up is measured apart below).
      local('vip', 'add', vip.cidr);
      const start = performance.now();
      probe.stdin.write(
        `${JSON.stringify({ address: vip.address, port: 5000, hosts: status.targets.length })}\n`,
      );
      await answers.next();
      added.push(performance.now() - start);
      const cliStart = performance.now();
      local('status', '--json');
      cli.push(performance.now() - cliStart);
    }
    for (const vip of vips) {
      local('vip', 'remove', vip.cidr);
      const start = performance.now();
      while (vipStillApplied(status, vip.address)) await new Promise((r) => setTimeout(r, 5));
      removed.push(performance.now() - start);
    }
  } finally {
    probe.kill();
  }
  console.log(`vip add → every target answers (ms): ${added.map((v) => v.toFixed(0)).join(' ')}`);
  console.log(`vip remove → gone everywhere (ms): ${removed.map((v) => v.toFixed(0)).join(' ')}`);
  console.log(
    `one CLI call (start-up and a status request), not included above (p50): ${percentile(cli, 50)} ms`,
  );
  console.log(
    JSON.stringify({
      vip_add_to_reachable_p50_ms: percentile(added, 50),
      vip_add_to_reachable_p99_ms: percentile(added, 99),
      vip_remove_to_gone_p50_ms: percentile(removed, 50),
      cli_call_p50_ms: percentile(cli, 50),
    }),
  );
}

await main();
