/**
 * The LB data-path topology of the tests and the benchmark, built with `ip`/`sysctl` commands:
 *
 *   client (10.0.0.2, fd00::2) ── LB (10.0.0.1 | 10.1.i.1, fd00:1:i::1) ── target i (10.1.i.2, fd00:1:i::2)
 *
 * Targets have the VIPs on lo and route replies from the VIP back through the LB (source rule,
 * table 200). The LB has a blackhole route per VIP, so VIP packets without a mark are dropped, and
 * per routed target `ip rule fwmark X table X` + `default via <target>` in table X.
 */
import { execFileSync } from 'node:child_process';

export const VIP4 = '20.0.0.1';
export const VIP6 = 'fd00:20::1';
export const CLIENT4 = '10.0.0.2';
export const CLIENT6 = 'fd00::2';

export interface Topology {
  client: string;
  lb: string;
  targets: string[];
  /** Adds `ip rule fwmark X table X` and the default routes of target i (1-based) in the LB. */
  routeTarget(index: number, fwmark: number): void;
  unrouteTarget(index: number, fwmark: number): void;
  /** The target namespace whose name an agent answers with. */
  targetName(index: number): string;
}

function run(namespace: string | undefined, ...argv: string[]): string {
  const command = namespace === undefined ? argv : ['ip', 'netns', 'exec', namespace, ...argv];
  return execFileSync(command[0], command.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function sysctl(namespace: string, ...settings: string[]): void {
  run(namespace, 'sysctl', '-qw', ...settings);
}

/** Waits until `ping` from the namespace to the address answers (IPv6 neighbours need a moment). */
function reachable(namespace: string, address: string): void {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      run(namespace, 'ping', '-c', '1', '-W', '1', address);
      return;
    } catch {
      // next attempt
    }
  }
  throw new Error(`${address} is not reachable from ${namespace}`);
}

export function buildTopology(names: (suffix: string) => string, targetCount: number): Topology {
  const client = names('cl');
  const lb = names('lb');
  const targets = Array.from({ length: targetCount }, (_, i) => names(`t${i + 1}`));
  for (const namespace of [client, lb, ...targets]) {
    run(undefined, 'ip', 'netns', 'add', namespace);
    sysctl(namespace, 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
    run(namespace, 'ip', 'link', 'set', 'lo', 'up');
  }
  sysctl(
    lb,
    'net.ipv4.ip_forward=1',
    'net.ipv6.conf.all.forwarding=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
  );

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
  run(client, 'ip', 'addr', 'add', `${CLIENT4}/24`, 'dev', 'c0');
  run(client, 'ip', 'addr', 'add', `${CLIENT6}/64`, 'dev', 'c0', 'nodad');
  run(client, 'ip', 'link', 'set', 'c0', 'up');
  run(client, 'ip', 'route', 'add', 'default', 'via', '10.0.0.1');
  run(client, 'ip', '-6', 'route', 'add', 'default', 'via', 'fd00::1');
  run(lb, 'ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'lc');
  run(lb, 'ip', 'addr', 'add', 'fd00::1/64', 'dev', 'lc', 'nodad');
  run(lb, 'ip', 'link', 'set', 'lc', 'up');
  run(lb, 'ip', 'route', 'add', 'blackhole', `${VIP4}/32`);
  run(lb, 'ip', '-6', 'route', 'add', 'blackhole', `${VIP6}/128`);

  targets.forEach((target, i) => {
    const n = i + 1;
    run(
      undefined,
      'ip',
      'link',
      'add',
      `lt${n}`,
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
    run(lb, 'ip', 'addr', 'add', `10.1.${n}.1/24`, 'dev', `lt${n}`);
    run(lb, 'ip', 'addr', 'add', `fd00:1:${n}::1/64`, 'dev', `lt${n}`, 'nodad');
    run(lb, 'ip', 'link', 'set', `lt${n}`, 'up');
    run(target, 'ip', 'addr', 'add', `10.1.${n}.2/24`, 'dev', 'tl');
    run(target, 'ip', 'addr', 'add', `fd00:1:${n}::2/64`, 'dev', 'tl', 'nodad');
    run(target, 'ip', 'link', 'set', 'tl', 'up');
    run(target, 'ip', 'addr', 'add', `${VIP4}/32`, 'dev', 'lo');
    run(target, 'ip', 'addr', 'add', `${VIP6}/128`, 'dev', 'lo');
    run(target, 'ip', 'rule', 'add', 'from', VIP4, 'table', '200', 'prio', '100');
    run(target, 'ip', 'route', 'add', 'default', 'via', `10.1.${n}.1`, 'table', '200');
    run(target, 'ip', '-6', 'rule', 'add', 'from', VIP6, 'table', '200', 'prio', '100');
    run(target, 'ip', '-6', 'route', 'add', 'default', 'via', `fd00:1:${n}::1`, 'table', '200');
  });

  reachable(lb, CLIENT4);
  reachable(lb, CLIENT6);
  targets.forEach((_, i) => {
    reachable(lb, `10.1.${i + 1}.2`);
    reachable(lb, `fd00:1:${i + 1}::2`);
  });

  return {
    client,
    lb,
    targets,
    targetName: (index) => targets[index - 1],
    routeTarget(index, fwmark) {
      for (const family of ['-4', '-6']) {
        const via = family === '-4' ? `10.1.${index}.2` : `fd00:1:${index}::2`;
        run(lb, 'ip', family, 'rule', 'add', 'fwmark', `${fwmark}`, 'table', `${fwmark}`, 'prio', '1000');
        run(lb, 'ip', family, 'route', 'add', 'default', 'via', via, 'table', `${fwmark}`);
      }
    },
    unrouteTarget(index, fwmark) {
      for (const family of ['-4', '-6']) {
        run(lb, 'ip', family, 'rule', 'del', 'fwmark', `${fwmark}`, 'table', `${fwmark}`, 'prio', '1000');
        run(lb, 'ip', family, 'route', 'flush', 'table', `${fwmark}`);
      }
    },
  };
}
