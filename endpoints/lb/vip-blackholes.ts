/**
 * A blackhole route per VIP in the main table: VIP traffic that leaves the LB's chains without a mark
 * (no target yet, the queue gone, a verdict for an empty slot) is dropped there instead of following
 * the default route back out. The routes carry a metric of their own, so a restarted LB finds the ones
 * an earlier run left and removes those of VIPs that are gone.
 */
import {
  formatPrefix,
  MAIN_TABLE,
  networkOf,
  parsePrefix,
  type NetnsHandle,
} from '../../sdk/kernel/index.js';

/** Marks the LB's blackhole routes; no other route in the LB's namespace uses it. */
export const VIP_BLACKHOLE_METRIC = 4242;

function canonical(cidr: string): string {
  return formatPrefix(networkOf(parsePrefix(cidr, 'VIP')));
}

export class VipBlackholes {
  constructor(private readonly netns: NetnsHandle) {}

  /** The VIPs (canonical CIDRs) that have one of our blackhole routes now. */
  async list(): Promise<string[]> {
    const routes = await this.netns.routes.list({ table: MAIN_TABLE });
    return routes
      .filter((route) => route.type === 'blackhole' && route.metric === VIP_BLACKHOLE_METRIC)
      .map((route) => route.destination);
  }

  /** Adds the blackhole of each VIP (idempotent). */
  async add(vips: readonly string[]): Promise<void> {
    for (const vip of vips) {
      await this.netns.routes.replace({
        destination: canonical(vip),
        type: 'blackhole',
        metric: VIP_BLACKHOLE_METRIC,
      });
    }
  }

  /** Leaves exactly the blackholes of `vips`: adds the missing, removes ours of every other VIP. */
  async set(vips: readonly string[]): Promise<void> {
    const wanted = new Set(vips.map(canonical));
    await this.add([...wanted]);
    for (const stale of (await this.list()).filter((vip) => !wanted.has(vip))) {
      await this.netns.routes.delete({ destination: stale, type: 'blackhole', metric: VIP_BLACKHOLE_METRIC });
    }
  }
}
