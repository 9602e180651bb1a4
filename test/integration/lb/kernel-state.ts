/** The LB's kernel state in its namespace, read with iproute2 and iptables-save, for the LB tests. */
import { run } from '../lb-shared/topology.js';

/** Everything of the LB in its namespace that a test checks is there, once, or gone. */
export interface LbKernelState {
  /** `ip rule` lines with a fwmark, both families. */
  readonly rules: string[];
  /** Routes in any table from first..last, both families. */
  readonly tableRoutes: string[];
  /** iptables-save lines of the LB's chains, both families. */
  readonly chains: string[];
  /** Blackhole routes, both families. */
  readonly blackholes: string[];
}

export function lbKernelState(lb: string, first = 5001, last = 5100): LbKernelState {
  const rules: string[] = [];
  const tableRoutes: string[] = [];
  const blackholes: string[] = [];
  for (const family of ['-4', '-6']) {
    for (const line of run(lb, 'ip', family, 'rule', 'show').split('\n')) {
      if (line.includes('fwmark')) rules.push(`${family} ${line.trim()}`);
    }
    for (const line of run(lb, 'ip', family, 'route', 'show', 'table', 'all').split('\n')) {
      const table = /\btable (\d+)\b/.exec(line);
      if (table && Number(table[1]) >= first && Number(table[1]) <= last)
        tableRoutes.push(`${family} ${line.trim()}`);
      if (line.startsWith('blackhole')) blackholes.push(`${family} ${line.trim()}`);
    }
  }
  const chains: string[] = [];
  for (const save of ['iptables-nft-save', 'ip6tables-nft-save']) {
    for (const line of run(lb, save, '-t', 'mangle').split('\n')) {
      if (line.includes('MERIDIO-LB')) chains.push(`${save} ${line.trim()}`);
    }
  }
  return { rules, tableRoutes, chains, blackholes };
}

/** Lines that appear more than once. */
export function duplicates(lines: readonly string[]): string[] {
  return lines.filter((line, index) => lines.indexOf(line) !== index);
}
