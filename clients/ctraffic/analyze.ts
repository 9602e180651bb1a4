import type { ConnStats, Statistics } from './stats.js';

/** ctraffic's `-analyze hosts`: lasting and lost connections per answering host. */
export interface HostAnalysis {
  /** Connections that ended without error, per host. */
  lasting: Record<string, number>;
  /** Connections that failed after the host answered, per host. */
  lost: Record<string, number>;
  lostTotal: number;
  /** Connections that never reached a host (dial or first-exchange failure). */
  unanswered: number;
}

export function analyzeHosts(stats: Statistics | ConnStats[]): HostAnalysis {
  const connections = Array.isArray(stats) ? stats : (stats.ConnStats ?? []);
  const analysis: HostAnalysis = { lasting: {}, lost: {}, lostTotal: 0, unanswered: 0 };
  for (const conn of connections) {
    if (!conn.Host) {
      analysis.unanswered++;
      continue;
    }
    const bucket = conn.Err === '' ? analysis.lasting : analysis.lost;
    bucket[conn.Host] = (bucket[conn.Host] ?? 0) + 1;
    if (conn.Err !== '') analysis.lostTotal++;
  }
  return analysis;
}

/** A plain-text table of connections per host for terminals. */
export function formatHostTable(analysis: HostAnalysis): string {
  const hosts = [...new Set([...Object.keys(analysis.lasting), ...Object.keys(analysis.lost)])].sort();
  const width = Math.max(4, ...hosts.map((h) => h.length));
  const lines = [`${'host'.padEnd(width)}  lasting  lost`];
  for (const host of hosts) {
    const lasting = String(analysis.lasting[host] ?? 0).padStart(7);
    const lost = String(analysis.lost[host] ?? 0).padStart(4);
    lines.push(`${host.padEnd(width)}  ${lasting}  ${lost}`);
  }
  lines.push(`lost connections: ${analysis.lostTotal}; never answered: ${analysis.unanswered}`);
  return lines.join('\n');
}
