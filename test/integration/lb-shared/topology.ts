/**
 * The namespaces of the LB tests and the LB benchmark, built with iproute2:
 *
 *   client (10.0.0.2, fd00:cc::2) ── LB (10.0.0.1, fd00:cc::1 | 10.1.i.1, fd00:i::1) ── target i (10.1.i.2, fd00:i::2)
 *
 * Targets have the VIPs on lo and a source rule sending VIP-sourced replies back through the LB
 * (table 200). What the LB namespace does with VIP packets (forwarding, blackholes, fwmark routes) is
 * left to the LB under test. A target can be left without its link to the LB (`linked: false`): it is
 * then reached only once something (an NSM connection) brings its subnet.
 */
import { execFileSync } from 'node:child_process';

export const VIP4 = '20.0.0.1';
export const VIP6 = '2000::1';
export const VIPS = [`${VIP4}/32`, `${VIP6}/128`];
export const CLIENT4 = '10.0.0.2';
export const CLIENT6 = 'fd00:cc::2';
/** The ports the targets' agents answer on. */
export const TCP_PORT = 8080;
export const UDP_PORT = 8081;

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
    ips: [`10.1.${i}.2/24`, `fd00:${i}::2/64`],
    own4: `10.1.${i}.2`,
    own6: `fd00:${i}::2`,
    lb4: `10.1.${i}.1`,
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

/** A veth pair with one end in each namespace. */
function link(first: string, firstName: string, second: string, secondName: string): void {
  run(
    undefined,
    'ip',
    'link',
    'add',
    firstName,
    'netns',
    first,
    'type',
    'veth',
    'peer',
    'name',
    secondName,
    'netns',
    second,
  );
}

/** Adds both families' addresses to a device (without duplicate address detection) and sets it up. */
function address(namespace: string, device: string, ipv4: string, ipv6: string): void {
  run(namespace, 'ip', 'addr', 'add', ipv4, 'dev', device);
  run(namespace, 'ip', 'addr', 'add', ipv6, 'dev', device, 'nodad');
  run(namespace, 'ip', 'link', 'set', device, 'up');
}

/**
 * Builds the namespaces `name('cl')`, `name('lb')` and `name('t<i>')`; `linked` has one entry per
 * target (or is the number of targets, all linked).
 */
export function buildLbTopology(
  name: (suffix: string) => string,
  linked: readonly boolean[] | number,
): LbTopology {
  const links = typeof linked === 'number' ? Array.from({ length: linked }, () => true) : linked;
  const client = name('cl');
  const lb = name('lb');
  const targets = links.map((_, index) => name(`t${index + 1}`));
  for (const namespace of [client, lb, ...targets]) {
    run(undefined, 'ip', 'netns', 'add', namespace);
    run(namespace, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
    run(namespace, 'ip', 'link', 'set', 'lo', 'up');
  }
  link(client, 'c0', lb, 'lc');
  address(client, 'c0', `${CLIENT4}/24`, `${CLIENT6}/64`);
  run(client, 'ip', 'route', 'add', 'default', 'via', '10.0.0.1');
  run(client, 'ip', '-6', 'route', 'add', 'default', 'via', 'fd00:cc::1');
  address(lb, 'lc', '10.0.0.1/24', 'fd00:cc::1/64');

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
    if (!links[index]) return;
    const { ips, lb4, lb6, own4, own6 } = targetAddresses(i);
    link(lb, `lt${i}`, target, 'tl');
    address(lb, `lt${i}`, `${lb4}/24`, `${lb6}/64`);
    address(target, 'tl', ips[0]!, ips[1]!);
    topology.routeRepliesOf(i);
    reachable(lb, own4);
    reachable(lb, own6);
  });
  reachable(lb, CLIENT4);
  reachable(lb, CLIENT6);
  return topology;
}
