/**
 * The address space already allocated in one family, kept in memory as sorted, merged ranges, so the
 * search for a free block skips a run of neighbouring allocations in one step instead of reading them
 * all. Allocations never overlap, so a range can be added as given and removed by splitting.
 */
import { prefixEnd, type IpPrefix } from '../../sdk/services/common/index.js';
import { findFreeSubnet, type AddressRange } from './free-subnet.js';

export class AllocatedSpace {
  /** Sorted by start; disjoint and never adjacent (adjacent ranges are merged). */
  private ranges: AddressRange[] = [];

  get rangeCount(): number {
    return this.ranges.length;
  }

  /** The index of the first range that ends at or after `address`. */
  private firstEndingFrom(address: bigint): number {
    let low = 0;
    let high = this.ranges.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.ranges[middle] as AddressRange).end < address) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Ranges that intersect [start, end], in order; lazily, so a search can stop at the first gap. */
  *overlapping(start: bigint, end: bigint): Generator<AddressRange> {
    for (let index = this.firstEndingFrom(start); index < this.ranges.length; index++) {
      const range = this.ranges[index] as AddressRange;
      if (range.start > end) return;
      yield range;
    }
  }

  /** Marks a subnet allocated; it must not overlap anything allocated. */
  add(subnet: IpPrefix): void {
    let start = subnet.network;
    let end = prefixEnd(subnet);
    const index = this.firstEndingFrom(start - 1n);
    let merged = 0;
    for (let next = this.ranges[index]; next && next.start <= end + 1n; next = this.ranges[index + merged]) {
      if (next.start < start) start = next.start;
      if (next.end > end) end = next.end;
      merged++;
    }
    this.ranges.splice(index, merged, { start, end });
  }

  /** Marks an allocated subnet free again; it must lie inside one range. */
  remove(subnet: IpPrefix): void {
    const start = subnet.network;
    const end = prefixEnd(subnet);
    const index = this.firstEndingFrom(start);
    const range = this.ranges[index];
    if (!range || range.start > start || range.end < end) return;
    const pieces: AddressRange[] = [];
    if (range.start < start) pieces.push({ start: range.start, end: start - 1n });
    if (end < range.end) pieces.push({ start: end + 1n, end: range.end });
    this.ranges.splice(index, 1, ...pieces);
  }

  /** The lowest free aligned subnet of `length` inside `pool`, if any. */
  findFree(pool: IpPrefix, length: number): IpPrefix | undefined {
    return findFreeSubnet(pool, length, this.overlapping(pool.network, prefixEnd(pool)));
  }
}
