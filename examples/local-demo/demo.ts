/**
 * `make demo`: Meridio on this host, driven through `meridio local` as a person would. Brings an
 * instance up with the defaults, sends traffic from the external host to the IPv4 and IPv6 VIPs,
 * scales the targets 4 → 6 → 3 while a client keeps opening new connections, takes everything down,
 * and prints a one-screen summary. Exits non-zero when something it shows did not hold. Needs root.
 */
import { existsSync } from 'node:fs';

import type { Statistics } from '../../clients/ctraffic/index.js';
import {
  connectionsHeldAtStop,
  defaultStateDir,
  formatTraffic,
  type LocalStatus,
  type VipTraffic,
} from '../../endpoints/local/index.js';
import { meridio } from './commands.js';
import { perTarget, scalingOutcome, type ScalingOutcome } from './scaling.js';

const PREFIX = 'mdemo';
const CHURN = { nconn: 20, perSecond: 60 };

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Check {
  readonly what: string;
  readonly ok: boolean;
}

async function local(stateDir: string, args: readonly string[], show = true): Promise<string> {
  const result = await meridio(['local', ...args, '--state-dir', stateDir], { show });
  if (result.code !== 0)
    throw new Error(`meridio local ${args[0]} failed (exit ${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

async function status(stateDir: string): Promise<LocalStatus> {
  return JSON.parse(await local(stateDir, ['status', '--json'], false)) as LocalStatus;
}

/** A ctraffic client in the external host opening CHURN.perSecond new connections per second until stopped. */
function churn(namespace: string, address: string, signal: AbortSignal): Promise<Statistics> {
  const args = [
    'ctraffic',
    '--address',
    address,
    '--nconn',
    String(CHURN.nconn),
    '--rate',
    String(CHURN.nconn),
  ];
  args.push(
    '--new-conn-rate',
    String(CHURN.perSecond),
    '--conn-lifetime',
    '1s',
    '--timeout',
    '1h',
    '--stats',
    'all',
  );
  return meridio(args, { namespace, signal }).then((result) => {
    if (result.code !== 0) throw new Error(`ctraffic failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Statistics;
  });
}

async function main(): Promise<boolean> {
  if (process.getuid?.() !== 0) {
    console.error(
      'The demo builds network namespaces, veths and routes: run it as root (make demo does on CI).',
    );
    return false;
  }
  const stateDir = `${defaultStateDir(process.env)}-demo`;
  if (existsSync(stateDir)) await local(stateDir, ['down']);
  const checks: Check[] = [];
  const lines: string[] = [];
  const started = Date.now();
  try {
    console.log(
      '\n== 1. Bring Meridio up: 2 LBs, 2 nodes with a proxy each, 4 targets, VIPs 20.0.0.1/32 and 2000::1/128',
    );
    await local(stateDir, ['up', '--prefix', PREFIX]);
    const upSeconds = (Date.now() - started) / 1000;
    const initial = await status(stateDir);
    await local(stateDir, ['status']);
    lines.push(
      `up        ${initial.lbs.length} LBs, ${initial.proxies.length} proxies, ${initial.targets.length} targets, ready in ${upSeconds.toFixed(1)} s`,
    );

    console.log('\n== 2. Traffic from the external host to both VIPs (200 connections each, 5 s)');
    const traffic = JSON.parse(
      await local(stateDir, ['traffic', '--conns', '200', '--duration', '5s', '--json'], false),
    ) as VipTraffic[];
    const names = initial.targets.map((target) => target.name);
    console.log(formatTraffic(traffic, names));
    for (const result of traffic) {
      const everyTarget = names.every((name) => (result.hosts[name] ?? 0) > 0);
      checks.push({
        what: `${result.vip}: every target answered, nothing lost`,
        ok: everyTarget && result.lostTotal === 0 && result.failedConnects === 0,
      });
      lines.push(`traffic   ${result.vip.padEnd(12)} ${perTarget(result.hosts)}; lost ${result.lostTotal}`);
    }

    console.log(
      `\n== 3. Scale 4 → 6 → 3 targets while clients open ${CHURN.perSecond} new connections per second to each VIP`,
    );
    const stop = new AbortController();
    const ext = initial.external.namespace;
    const clients = Promise.all([
      churn(ext, '20.0.0.1:5000', stop.signal),
      churn(ext, '[2000::1]:5000', stop.signal),
    ]);
    try {
      await pause(3000);
      await local(stateDir, ['scale', '--targets', '6']);
      await pause(4000);
      await local(stateDir, ['scale', '--targets', '3']);
      await pause(4000);
    } finally {
      stop.abort();
    }
    const reports = await clients;
    const added = ['target-5', 'target-6'];
    const removed = ['target-4', 'target-5', 'target-6'];
    const heldAtRemoval = connectionsHeldAtStop(stateDir, removed);
    const outcomes: ScalingOutcome[] = reports.map((report) =>
      scalingOutcome(report, { added, removed, longLived: CHURN.nconn, heldAtRemoval }),
    );
    for (const [family, outcome] of [
      ['IPv4', outcomes[0]!],
      ['IPv6', outcomes[1]!],
    ] as const) {
      console.log(
        `${family}: ${outcome.connections} connections; per target ${perTarget(outcome.lasting)}; lost ${perTarget(outcome.lost)}`,
      );
      checks.push({
        what: `${family}: the new targets took new connections`,
        ok: outcome.joinedWithTraffic.length === added.length,
      });
      checks.push({
        what: `${family}: no connection to a surviving target lost`,
        ok: outcome.lostOnSurvivors === 0 && outcome.unanswered === 0,
      });
      checks.push({ what: `${family}: at least 50 new connections per second`, ok: outcome.rate >= 50 });
      lines.push(
        `scaling   ${family}: ${outcome.connections} connections (${outcome.rate}/s); new targets ${added.map((name) => `${name} ${outcome.lasting[name] ?? 0}`).join(', ')}; ` +
          `lost: removed targets ${removed.reduce((sum, name) => sum + (outcome.lost[name] ?? 0), 0)}, surviving targets ${outcome.lostOnSurvivors}`,
      );
    }
  } catch (error) {
    checks.push({ what: (error as Error).message, ok: false });
  } finally {
    console.log('\n== 4. Take everything down');
    try {
      await local(stateDir, ['down']);
      checks.push({ what: 'down removed every namespace, process and file', ok: !existsSync(stateDir) });
      lines.push('down      every namespace, process, rule and file removed');
    } catch (error) {
      checks.push({ what: (error as Error).message, ok: false });
    }
  }
  console.log(`\n== Summary (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  for (const line of lines) console.log(`  ${line}`);
  for (const check of checks) console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.what}`);
  return checks.every((check) => check.ok);
}

process.exitCode = (await main()) ? 0 : 1;
