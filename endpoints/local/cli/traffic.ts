/**
 * `meridio local traffic`: ctraffic from the external host to every VIP at once, reported as a table of
 * connections per target and VIP, with the lost connections (`--json`: the same as data).
 */
import { analyzeHosts, type HostAnalysis, type Statistics } from '../../../clients/ctraffic/index.js';
import { parseCidr } from '../../../sdk/config/index.js';
import { runCtraffic, vipAddress } from '../ctraffic-run.js';
import { LocalNotUpError } from '../errors.js';
import type { StatePaths } from '../state-paths.js';
import { fetchStatus, type Io } from './common.js';

export interface VipTraffic {
  readonly vip: string;
  /** Connections that ended without error, per target. */
  readonly hosts: Readonly<Record<string, number>>;
  /** Connections lost after their target answered, per target. */
  readonly lost: Readonly<Record<string, number>>;
  readonly lostTotal: number;
  readonly failedConnects: number;
  readonly connections: number;
}

export function summarise(vip: string, stats: Statistics): VipTraffic {
  const analysis: HostAnalysis = analyzeHosts(stats);
  return {
    vip,
    hosts: analysis.lasting,
    lost: analysis.lost,
    lostTotal: analysis.lostTotal,
    failedConnects: stats.FailedConnects,
    connections: stats.ConnStats?.length ?? 0,
  };
}

export function formatTraffic(results: readonly VipTraffic[], targets: readonly string[]): string {
  const hosts = [
    ...new Set([...targets, ...results.flatMap((r) => [...Object.keys(r.hosts), ...Object.keys(r.lost)])]),
  ];
  const header = ['target', ...results.map((r) => r.vip)];
  const rows = hosts.map((host) => [
    host,
    ...results.map((r) => `${r.hosts[host] ?? 0}${(r.lost[host] ?? 0) > 0 ? ` (${r.lost[host]} lost)` : ''}`),
  ]);
  rows.push(['lost', ...results.map((r) => String(r.lostTotal))]);
  rows.push(['failed connects', ...results.map((r) => String(r.failedConnects))]);
  rows.push(['connections', ...results.map((r) => String(r.connections))]);
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

export async function traffic(
  paths: StatePaths,
  options: { readonly conns: number; readonly durationMs: number; readonly json: boolean },
  io: Io,
): Promise<number> {
  const status = await fetchStatus(paths);
  if (status.vips.length === 0)
    throw new LocalNotUpError('The instance has no VIP: add one with "meridio local vip add CIDR".');
  if (!options.json) {
    io.stdout.write(
      `ctraffic from ${status.external.namespace}: ${options.conns} connections to each of ${status.vips.join(', ')} for ${options.durationMs / 1000} s…\n`,
    );
  }
  const results = await Promise.all(
    status.vips.map(async (cidr) => {
      const stats = await runCtraffic({
        namespace: status.external.namespace,
        address: vipAddress(parseCidr(cidr)),
        nconn: options.conns,
        durationMs: options.durationMs,
      });
      return summarise(cidr, stats);
    }),
  );
  if (options.json) io.stdout.write(`${JSON.stringify(results)}\n`);
  else
    io.stdout.write(
      `${formatTraffic(
        results,
        status.targets.map((t) => t.name),
      )}\n`,
    );
  return 0;
}
