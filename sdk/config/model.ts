import type { Cidr } from './cidr.js';

/** A virtual IP: the network (usually a /32 or /128) that Meridio attracts and load-balances. */
export type Vip = Cidr;

/**
 * The runtime configuration, as the June 2021 Meridio had it: only VIPs. Validated, so `vips` holds
 * canonical networks without duplicates, in the order they were written.
 */
export interface MeridioConfig {
  readonly vips: readonly Vip[];
}

/** What changed between two configurations; a VIP is identified by its canonical `cidr`. */
export interface ConfigDiff {
  readonly added: readonly Vip[];
  readonly removed: readonly Vip[];
}

export const EMPTY_CONFIG: MeridioConfig = Object.freeze({ vips: Object.freeze([]) });

/** `added` in the order of `next`, `removed` in the order of `previous`. */
export function diffConfigs(previous: MeridioConfig, next: MeridioConfig): ConfigDiff {
  const before = new Set(previous.vips.map((vip) => vip.cidr));
  const after = new Set(next.vips.map((vip) => vip.cidr));
  return {
    added: next.vips.filter((vip) => !before.has(vip.cidr)),
    removed: previous.vips.filter((vip) => !after.has(vip.cidr)),
  };
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0;
}

/** Same set of VIPs; the order in which they were written does not matter. */
export function sameVips(a: MeridioConfig, b: MeridioConfig): boolean {
  return isEmptyDiff(diffConfigs(a, b));
}
