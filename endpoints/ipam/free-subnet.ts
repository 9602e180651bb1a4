/**
 * First fit: the lowest aligned block of `length` inside `pool` that overlaps none of the taken
 * ranges. Taken ranges may have any size and may reach outside the pool (allocations from another,
 * overlapping pool); they must be sorted by start.
 */
import { familyBits, prefixEnd, type IpPrefix } from '../../sdk/services/common/index.js';

export interface AddressRange {
  readonly start: bigint;
  readonly end: bigint;
}

export function findFreeSubnet(
  pool: IpPrefix,
  length: number,
  taken: Iterable<AddressRange>,
): IpPrefix | undefined {
  const size = 1n << BigInt(familyBits(pool.family) - length);
  const poolEnd = prefixEnd(pool);
  const alignUp = (value: bigint): bigint => ((value + size - 1n) / size) * size;
  let candidate = pool.network;
  for (const range of taken) {
    if (range.end < candidate) continue;
    if (candidate + size - 1n < range.start) break;
    candidate = alignUp(range.end + 1n);
    if (candidate > poolEnd) return undefined;
  }
  if (candidate + size - 1n > poolEnd) return undefined;
  return { family: pool.family, network: candidate, length };
}
