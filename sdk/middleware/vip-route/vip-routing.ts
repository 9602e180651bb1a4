import { DEFAULTS } from '../../defaults.js';
import { InvalidArgumentError } from '../../core/index.js';
import {
  formatPrefix,
  type IpFamily,
  networkOf,
  parseIp,
  parsePrefix,
  type Routes,
  type RouteSpec,
  type Rules,
} from '../../kernel/index.js';

/** What VipRouting needs of a namespace: its rules and routes (a `NetnsHandle` is one). */
export interface RoutingNamespace {
  readonly rules: Pick<Rules, 'add' | 'delete' | 'list'>;
  readonly routes: Pick<Routes, 'replace' | 'delete' | 'list'>;
}

/** Where VIP-sourced traffic goes: a gateway, optionally through a given device. */
export interface Nexthop {
  readonly gateway: string;
  readonly device?: string;
}

export interface VipRoutingOptions {
  /** The namespace's handle (`kernel.netns(name)`). */
  readonly netns: RoutingNamespace;
  /** The routing table the VIPs' rules look up; default 4096 (Meridio's VIP table). */
  readonly table?: number;
  /** The rules' priority; default 100 (before the main table's 32766). */
  readonly priority?: number;
}

export const DEFAULT_VIP_TABLE = DEFAULTS.vipTable;
export const DEFAULT_VIP_RULE_PRIORITY = 100;

function familyOf(address: string): IpFamily {
  return parseIp(address, 'nexthop gateway').family;
}

function canonicalVip(vip: string): string {
  try {
    return formatPrefix(networkOf(parsePrefix(vip, 'VIP')));
  } catch (error) {
    throw new InvalidArgumentError(
      `the VIP "${vip}" is not an IP prefix (write 20.0.0.1/32 or 2000::1/128)`,
      {
        cause: error,
      },
    );
  }
}

function hopKey(hop: Nexthop): string {
  return `${hop.gateway}%${hop.device ?? ''}`;
}

/**
 * Source-based routing of VIP traffic in one namespace (`ip rule add from <VIP> table T` and, in T, a
 * default route per family over the current nexthops, multipath when there are several). Nexthops come
 * from sources (one per connection); the rules exist while at least one source is held, so VIP traffic
 * never takes the table before there is somewhere to go. Every change reconciles the kernel with the
 * wanted state, one at a time, so calls are idempotent and a failed one is repaired by the next.
 * `clear()` removes everything it made.
 */
export class VipRouting {
  readonly table: number;
  readonly priority: number;
  private readonly netns: RoutingNamespace;
  private vips: readonly string[] = [];
  private readonly sources = new Map<string, readonly Nexthop[]>();
  private readonly appliedRules = new Set<string>();
  private readonly appliedRoutes = new Map<IpFamily, string>();
  private tail: Promise<void> = Promise.resolve();
  private adopted = false;

  constructor(options: VipRoutingOptions) {
    this.netns = options.netns;
    this.table = options.table ?? DEFAULT_VIP_TABLE;
    this.priority = options.priority ?? DEFAULT_VIP_RULE_PRIORITY;
  }

  /** The VIPs whose traffic is routed (CIDRs); rules for VIPs no longer listed are removed. */
  setVips(vips: readonly string[]): Promise<void> {
    const canonical = [...new Set(vips.map(canonicalVip))];
    return this.change(() => {
      this.vips = canonical;
    });
  }

  /** The nexthops a source (a connection) contributes, replacing what it gave before. */
  setNexthops(source: string, nexthops: readonly Nexthop[]): Promise<void> {
    for (const hop of nexthops) familyOf(hop.gateway);
    return this.change(() => {
      this.sources.set(source, [...nexthops]);
    });
  }

  /** Forgets a source's nexthops (its connection closed). */
  removeNexthops(source: string): Promise<void> {
    return this.change(() => {
      this.sources.delete(source);
    });
  }

  /** Removes every rule and route this object made and forgets every source. */
  clear(): Promise<void> {
    return this.change(() => {
      this.sources.clear();
    });
  }

  /** The VIPs and nexthops wanted now (for status and tests). */
  wanted(): { vips: readonly string[]; nexthops: readonly Nexthop[] } {
    return { vips: this.vips, nexthops: this.allNexthops() };
  }

  private change(update: () => void): Promise<void> {
    update();
    const run = (): Promise<void> => this.reconcile();
    const result = this.tail.then(run, run);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * In the order of their sources' names (the connections to the LBs, named after them), which is the
   * order the gateway lists the LBs in: with the same symmetric hash on both sides, a flow's replies
   * leave through the LB it came in by, so that LB's conntrack (flow pinning) sees the whole flow.
   */
  private allNexthops(): Nexthop[] {
    const unique = new Map<string, Nexthop>();
    for (const source of [...this.sources.keys()].sort()) {
      for (const hop of this.sources.get(source) ?? [])
        if (!unique.has(hopKey(hop))) unique.set(hopKey(hop), hop);
    }
    return [...unique.values()];
  }

  /**
   * Takes over the rules and routes a previous run left in the table (a process killed before it could
   * clean up), so that what is no longer wanted gets removed.
   */
  private async adopt(): Promise<void> {
    if (this.adopted) return;
    for (const rule of await this.netns.rules.list()) {
      if (rule.table === this.table && rule.priority === this.priority && rule.from !== undefined) {
        this.appliedRules.add(rule.from);
      }
    }
    for (const route of await this.netns.routes.list({ table: this.table })) {
      if (route.destination === 'default') this.appliedRoutes.set(route.family, 'left by a previous run');
    }
    this.adopted = true;
  }

  private async reconcile(): Promise<void> {
    await this.adopt();
    const active = this.sources.size > 0;
    const hops = active ? this.allNexthops() : [];
    const wantedRules = new Set(active ? this.vips : []);
    for (const vip of [...this.appliedRules].filter((vip) => !wantedRules.has(vip))) {
      await this.netns.rules.delete(this.ruleOf(vip));
      this.appliedRules.delete(vip);
    }
    for (const family of [4, 6] as const) {
      const ofFamily = hops.filter((hop) => familyOf(hop.gateway) === family);
      const key = ofFamily.map(hopKey).join(',');
      if (this.appliedRoutes.get(family) === key) continue;
      if (ofFamily.length === 0) {
        if (!this.appliedRoutes.has(family)) continue;
        await this.netns.routes.delete({ destination: 'default', family, table: this.table });
        this.appliedRoutes.delete(family);
      } else {
        await this.netns.routes.replace(this.routeOf(family, ofFamily));
        this.appliedRoutes.set(family, key);
      }
    }
    for (const vip of wantedRules) {
      if (this.appliedRules.has(vip)) continue;
      await this.netns.rules.add(this.ruleOf(vip));
      this.appliedRules.add(vip);
    }
  }

  private ruleOf(vip: string): { from: string; table: number; priority: number } {
    return { from: vip, table: this.table, priority: this.priority };
  }

  private routeOf(family: IpFamily, hops: readonly Nexthop[]): RouteSpec {
    const base = { destination: 'default', family, table: this.table };
    if (hops.length === 1) {
      const [hop] = hops;
      return {
        ...base,
        gateway: hop!.gateway,
        ...(hop!.device === undefined ? {} : { device: hop!.device }),
      };
    }
    return {
      ...base,
      nexthops: hops.map((hop) => ({
        gateway: hop.gateway,
        ...(hop.device === undefined ? {} : { device: hop.device }),
      })),
    };
  }
}
