/**
 * The LB tests' namespaces, built with iproute2:
 *
 *   client (10.0.0.2, fd00:cc::2) ── LB (10.0.0.1, fd00:cc::1 | 172.16.i.1, fd00:i::1) ── target i (172.16.i.2, fd00:i::2)
 *
 * Targets have the VIPs on lo, a TCP server that answers with their name, and a source rule sending
 * VIP-sourced replies back through the LB (table 200). A target can be left without its link to the LB
 * (`linked: false`): it is then reached only once something (an NSM connection) brings its subnet.
 */
import { execFileSync } from 'node:child_process';

export const VIP4 = '20.0.0.1';
export const VIP6 = '2000::1';
export const VIPS = [`${VIP4}/32`, `${VIP6}/128`];
export const TCP_PORT = 8080;

export function run(namespace: string | undefined, ...argv: string[]): string {
  const command = namespace === undefined ? argv : ['ip', 'netns', 'exec', namespace, ...argv];
  return execFileSync(command[0]!, command.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The addresses of target i: its own and the LB's on its subnet. */
export function targetAddresses(i: number): {
  ips: string[];
  lb4: string;
  lb6: string;
  own4: string;
  own6: string;
} {
  return {
    ips: [`172.16.${i}.2/24`, `fd00:${i}::2/64`],
    own4: `172.16.${i}.2`,
    own6: `fd00:${i}::2`,
    lb4: `172.16.${i}.1`,
    lb6: `fd00:${i}::1`,
  };
}

/** Waits until `ping` from the namespace answers (IPv6 neighbours need a moment on a fresh link). */
export function reachable(namespace: string, address: string): void {
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      run(namespace, 'ping', '-c', '1', '-W', '1', address);
      return;
    } catch {
      // the next attempt
    }
  }
  throw new Error(`${address} is not reachable from ${namespace}`);
}

export interface LbTopology {
  readonly client: string;
  readonly lb: string;
  /** Namespace of target i at index i - 1. */
  readonly targets: readonly string[];
  /** Routes target i's VIP-sourced replies via the LB's address on its subnet (once the subnet exists). */
  routeRepliesOf(i: number): void;
}

export function buildLbTopology(name: (suffix: string) => string, linked: readonly boolean[]): LbTopology {
  const client = name('cl');
  const lb = name('lb');
  const targets = linked.map((_, index) => name(`t${index + 1}`));
  for (const namespace of [client, lb, ...targets]) {
    run(undefined, 'ip', 'netns', 'add', namespace);
    run(namespace, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
    run(namespace, 'ip', 'link', 'set', 'lo', 'up');
  }
  run(
    undefined,
    'ip',
    'link',
    'add',
    'c0',
    'netns',
    client,
    'type',
    'veth',
    'peer',
    'name',
    'lc',
    'netns',
    lb,
  );
  run(client, 'ip', 'addr', 'add', '10.0.0.2/24', 'dev', 'c0');
  run(client, 'ip', 'addr', 'add', 'fd00:cc::2/64', 'dev', 'c0', 'nodad');
  run(client, 'ip', 'link', 'set', 'c0', 'up');
  run(client, 'ip', 'route', 'add', 'default', 'via', '10.0.0.1');
  run(client, 'ip', '-6', 'route', 'add', 'default', 'via', 'fd00:cc::1');
  run(lb, 'ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'lc');
  run(lb, 'ip', 'addr', 'add', 'fd00:cc::1/64', 'dev', 'lc', 'nodad');
  run(lb, 'ip', 'link', 'set', 'lc', 'up');

  const topology: LbTopology = {
    client,
    lb,
    targets,
    routeRepliesOf(i) {
      const target = targets[i - 1]!;
      const { lb4, lb6 } = targetAddresses(i);
      run(target, 'ip', 'route', 'replace', 'default', 'via', lb4, 'table', '200');
      run(target, 'ip', '-6', 'route', 'replace', 'default', 'via', lb6, 'table', '200');
    },
  };
  targets.forEach((target, index) => {
    const i = index + 1;
    run(target, 'ip', 'addr', 'add', `${VIP4}/32`, 'dev', 'lo');
    run(target, 'ip', 'addr', 'add', `${VIP6}/128`, 'dev', 'lo');
    run(target, 'ip', 'rule', 'add', 'from', VIP4, 'table', '200', 'prio', '100');
    run(target, 'ip', '-6', 'rule', 'add', 'from', VIP6, 'table', '200', 'prio', '100');
    if (!linked[index]) return;
    const { ips, lb4, own6 } = targetAddresses(i);
    run(
      undefined,
      'ip',
      'link',
      'add',
      `lt${i}`,
      'netns',
      lb,
      'type',
      'veth',
      'peer',
      'name',
      'tl',
      'netns',
      target,
    );
    run(lb, 'ip', 'addr', 'add', `${lb4}/24`, 'dev', `lt${i}`);
    run(lb, 'ip', 'addr', 'add', `fd00:${i}::1/64`, 'dev', `lt${i}`, 'nodad');
    run(lb, 'ip', 'link', 'set', `lt${i}`, 'up');
    run(target, 'ip', 'addr', 'add', ips[0]!, 'dev', 'tl');
    run(target, 'ip', 'addr', 'add', ips[1]!, 'dev', 'tl', 'nodad');
    run(target, 'ip', 'link', 'set', 'tl', 'up');
    topology.routeRepliesOf(i);
    reachable(lb, own6);
  });
  reachable(lb, '10.0.0.2');
  reachable(lb, 'fd00:cc::2');
  return topology;
}

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
