/**
 * Hands out child subnets of a pool, independent of gRPC. Pools are not configured: each request
 * names its pool, as upstream Meridio's IPAM. Allocations never overlap one another, also across
 * overlapping pools of the same family, since the search looks at every allocation of the family.
 */
import type { Logger } from 'pino';

import { InvalidArgumentError, ResourceExhaustedError, type Clock } from '../../sdk/core/index.js';
import { familyBits, formatPrefix, prefixContains, type IpPrefix } from '../../sdk/services/common/index.js';
import { findFreeSubnet } from './free-subnet.js';
import type { Allocation, SqliteAllocationStore } from './store.js';

export interface AllocateRequest {
  readonly pool: IpPrefix;
  readonly prefixLength: number;
  /** Who holds the subnet; the same owner, pool and length always get the same subnet. */
  readonly owner?: string;
}

export const MAX_OWNER_LENGTH = 253;

export class SubnetAllocator {
  constructor(
    private readonly store: SqliteAllocationStore,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  /**
   * The owner's subnet if it has one, else the lowest free subnet of `prefixLength` in the pool.
   * Throws InvalidArgumentError for a length the pool cannot hold, ResourceExhaustedError when the
   * pool is full; nothing is stored then.
   */
  allocate(request: AllocateRequest): Allocation {
    const { pool, prefixLength } = request;
    const bits = familyBits(pool.family);
    if (!Number.isInteger(prefixLength) || prefixLength <= pool.length || prefixLength > bits) {
      throw new InvalidArgumentError(
        pool.length >= bits
          ? `pool ${formatPrefix(pool)} is a single address and has no child subnets`
          : `prefix length ${prefixLength} does not fit pool ${formatPrefix(pool)}: ask for a length from ${pool.length + 1} to ${bits}`,
      );
    }
    const owner = request.owner === '' ? undefined : request.owner;
    if (owner !== undefined && owner.length > MAX_OWNER_LENGTH) {
      throw new InvalidArgumentError(
        `owner "${owner.slice(0, 40)}…" is longer than ${MAX_OWNER_LENGTH} characters`,
      );
    }
    return this.store.transaction(() => {
      const held = owner === undefined ? undefined : this.store.byOwner(pool, prefixLength, owner);
      if (held) return held;
      const subnet = findFreeSubnet(pool, prefixLength, this.store.takenWithin(pool));
      if (!subnet) {
        throw new ResourceExhaustedError(
          `pool ${formatPrefix(pool)} has no free /${prefixLength} left; release a subnet or use a larger pool`,
        );
      }
      const allocation: Allocation = { pool, subnet, owner, createdAt: this.clock.now() };
      this.store.insert(allocation);
      this.logger?.info(
        { pool: formatPrefix(pool), subnet: formatPrefix(subnet), owner },
        'subnet allocated',
      );
      return allocation;
    });
  }

  /**
   * Frees `subnet` of `pool`. Releasing a subnet that is not allocated is not an error (as upstream,
   * and so a retried Release is harmless); a subnet outside the pool is. Returns whether one was freed.
   */
  release(pool: IpPrefix, subnet: IpPrefix): boolean {
    if (!prefixContains(pool, subnet) || subnet.length === pool.length) {
      throw new InvalidArgumentError(
        `subnet ${formatPrefix(subnet)} is not a child of pool ${formatPrefix(pool)}`,
      );
    }
    const released = this.store.transaction(() => this.store.remove(pool, subnet));
    if (released)
      this.logger?.info({ pool: formatPrefix(pool), subnet: formatPrefix(subnet) }, 'subnet released');
    return released;
  }

  allocations(): Allocation[] {
    return this.store.all();
  }
}
