/** Checking the VIPs given to `up` and `vip add`: valid CIDRs that stay clear of the instance's own networks. */
import { type Cidr, parseCidr } from '../../sdk/config/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { parsePrefix } from '../../sdk/kernel/index.js';
import { LocalUsageError } from './errors.js';
import { EXTERNAL_NETWORK } from './plan.js';

/** Networks a VIP may not overlap: the external side and the proxies' subnet pools. */
const RESERVED: readonly string[] = [...EXTERNAL_NETWORK.networks, ...DEFAULTS.subnetPools];

function overlaps(a: string, b: string): boolean {
  const x = parsePrefix(a);
  const y = parsePrefix(b);
  if (x.address.family !== y.address.family) return false;
  const bits = Math.min(x.length, y.length);
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((x.address.bytes[bit >> 3]! & mask) !== (y.address.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** The canonical VIP, or LocalUsageError naming the problem. */
export function checkVip(text: string): Cidr {
  let vip: Cidr;
  try {
    vip = parseCidr(text.trim());
  } catch (error) {
    throw new LocalUsageError(`${(error as Error).message.replace(/\.$/, '')}.`);
  }
  const clash = RESERVED.find((network) => overlaps(vip.cidr, network));
  if (clash !== undefined) {
    throw new LocalUsageError(
      `The VIP ${vip.cidr} overlaps ${clash}, which the local instance uses itself: choose another VIP.`,
    );
  }
  return vip;
}

/** Every VIP checked, and no duplicates. */
export function checkVips(texts: readonly string[]): Cidr[] {
  const vips = texts.map(checkVip);
  const seen = new Set<string>();
  for (const vip of vips) {
    if (seen.has(vip.cidr)) throw new LocalUsageError(`The VIP ${vip.cidr} is given twice.`);
    seen.add(vip.cidr);
  }
  return vips;
}
