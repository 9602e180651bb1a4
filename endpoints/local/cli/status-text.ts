/** `meridio local status` for people: one table of every process of the instance. */
import type { LocalStatus } from '../status.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');
const pidOf = (pid: number | null): string => (pid === null ? '-' : String(pid));

export function formatStatus(status: LocalStatus): string {
  const rows: string[][] = [['NAME', 'NAMESPACE', 'NODE', 'HEALTHY', 'PID', 'RESTARTS', 'DETAILS']];
  for (const service of status.services) {
    rows.push([
      service.name,
      '(host)',
      '',
      yesNo(service.healthy),
      pidOf(service.pid),
      String(service.restarts),
      '',
    ]);
  }
  for (const lb of status.lbs) {
    const details = `${lb.gatewayIps.join(' ')}${lb.routed ? '' : ' (not in the gateway routes)'}`;
    rows.push([lb.name, lb.namespace, '', yesNo(lb.healthy), pidOf(lb.pid), String(lb.restarts), details]);
  }
  for (const proxy of status.proxies) {
    rows.push([
      proxy.name,
      proxy.namespace,
      proxy.node,
      yesNo(proxy.healthy),
      pidOf(proxy.pid),
      String(proxy.restarts),
      proxy.subnets.join(' '),
    ]);
  }
  for (const target of status.targets) {
    const state = [
      target.identifier === null ? 'not registered' : `id ${target.identifier}`,
      ...(target.reachable ? [] : ['not reached yet']),
    ].join(', ');
    rows.push([
      target.name,
      target.namespace,
      target.node,
      yesNo(target.healthy),
      pidOf(target.pid),
      String(target.restarts + target.ctraffic.restarts),
      `${state}; ${target.ips.join(' ')}`,
    ]);
  }
  const header = [
    `Meridio local: ${status.phase}${status.ready ? ', ready' : ', not ready'} (state ${status.stateDir}, supervisor pid ${status.supervisorPid})`,
    `VIPs: ${status.vips.length === 0 ? '(none)' : status.vips.join(', ')}`,
    `external host: ${status.external.namespace} (${status.external.ips.join(', ')}); gateway: ${status.gateway.namespace}`,
    ...(status.failure === undefined ? [] : [`failure: ${status.failure}`]),
  ];
  return `${header.join('\n')}\n\n${table(rows)}\n`;
}
