import { Code, type Connection, timestampToMs } from '../../sdk/core/index.js';
import type { CustomEndpointConfig } from './config.js';
import type { SessionReport } from './session.js';

function list(values: readonly string[]): string {
  return values.length > 0 ? values.join(', ') : '(none)';
}

function describeConnection(connection: Connection): string[] {
  const ip = connection.context?.ip_context;
  const extra = Object.entries(connection.context?.extra_context ?? {}).map(([k, v]) => `${k}=${v}`);
  const path = (connection.path?.path_segments ?? []).map((segment) => {
    const expires = timestampToMs(segment.expires);
    return `${segment.name}${expires === undefined ? '' : ` (token until ${new Date(expires).toISOString()})`}`;
  });
  const rows: [string, string][] = [
    ['id', `${connection.id} (network service "${connection.network_service}")`],
    ['client side (src)', list(ip?.src_ip_addrs ?? [])],
    ['endpoint side (dst)', list(ip?.dst_ip_addrs ?? [])],
    ['client routes', list((ip?.src_routes ?? []).map((r) => r.prefix))],
    ['endpoint routes', list((ip?.dst_routes ?? []).map((r) => r.prefix))],
    ['extra context', list(extra)],
    ['path', path.join(' -> ')],
  ];
  return rows.map(([label, value]) => `    ${label.padEnd(20)} ${value}`);
}

export interface EndpointState {
  readonly connections: number;
  readonly leasedAddresses: number;
  readonly quotaInUse: number;
}

/** The demo's readable report. */
export function summaryLines(
  config: CustomEndpointConfig,
  report: SessionReport,
  after: EndpointState,
): string[] {
  const second = report.secondConnection;
  return [
    `custom-endpoint demo: endpoint "${config.name}" served over gRPC at ${config.listen}`,
    `  chain: standard endpoint elements -> connectionQuota(${config.maxConnections}) -> point2pointIpam(${config.prefixes.join(', ')}) -> extraContext`,
    '  1. request',
    ...describeConnection(report.requested),
    `  2. refresh: ${report.addressesKept ? 'same addresses, same connection' : 'ADDRESSES CHANGED'}`,
    second.code === Code.OK
      ? '  3. a second connection was accepted (the quota allows more than one)'
      : `  3. a second connection was refused over gRPC: ${Code[second.code]}: ${second.message}`,
    `  4. close: the endpoint now holds ${after.connections} connection(s), ${after.leasedAddresses} leased address(es), ${after.quotaInUse} quota slot(s) in use`,
  ];
}
