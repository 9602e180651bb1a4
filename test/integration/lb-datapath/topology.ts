/**
 * The LB topology of the data-path tests and the benchmark (see ../lb-shared/topology.ts), with the
 * LB namespace set up as the LB endpoint would: forwarding on, a blackhole route per VIP (so VIP
 * packets without a mark are dropped), and per routed target `ip rule fwmark X table X` +
 * `default via <target>` in table X.
 */
import { buildLbTopology, run, targetAddresses, VIP4, VIP6, type LbTopology } from '../lb-shared/topology.js';

export { CLIENT4, CLIENT6, VIP4, VIP6 } from '../lb-shared/topology.js';

export interface Topology extends LbTopology {
  /** Adds `ip rule fwmark X table X` and the default routes of target i (1-based) in the LB. */
  routeTarget(index: number, fwmark: number): void;
  unrouteTarget(index: number, fwmark: number): void;
}

const FAMILIES = ['-4', '-6'] as const;

export function buildTopology(names: (suffix: string) => string, targetCount: number): Topology {
  const topology = buildLbTopology(names, targetCount);
  const { lb } = topology;
  run(
    lb,
    'sysctl',
    '-qw',
    'net.ipv4.ip_forward=1',
    'net.ipv6.conf.all.forwarding=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
  );
  run(lb, 'ip', 'route', 'add', 'blackhole', `${VIP4}/32`);
  run(lb, 'ip', '-6', 'route', 'add', 'blackhole', `${VIP6}/128`);

  return {
    ...topology,
    routeTarget(index, fwmark) {
      const { own4, own6 } = targetAddresses(index);
      for (const family of FAMILIES) {
        run(lb, 'ip', family, 'rule', 'add', 'fwmark', `${fwmark}`, 'table', `${fwmark}`, 'prio', '1000');
        const via = family === '-4' ? own4 : own6;
        run(lb, 'ip', family, 'route', 'add', 'default', 'via', via, 'table', `${fwmark}`);
      }
    },
    unrouteTarget(_index, fwmark) {
      for (const family of FAMILIES) {
        run(lb, 'ip', family, 'rule', 'del', 'fwmark', `${fwmark}`, 'table', `${fwmark}`, 'prio', '1000');
        run(lb, 'ip', family, 'route', 'flush', 'table', `${fwmark}`);
      }
    },
  };
}
