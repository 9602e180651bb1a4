/**
 * Hands out child subnets of a pool, independent of gRPC. Pools are not configured: each request
 * names its pool, as upstream Meridio's IPAM. Allocations never overlap one another, also across
 * overlapping pools of the same family, since the search looks at all the space of the family.
 * The allocated space is indexed in memory (loaded from the store at start); a change the store
 * could not commit is taken back out of the index, so a failed write changes nothing.
 */
import type { Logger } from 'pino';

import {
  InvalidArgumentError,
  MeridioError,
  ResourceExhaustedError,
  type Clock,
} from '../../sdk/core/index.js';
import {
  familyBits,
  formatPrefix,
  prefixContains,
  type IpFamily,
  type IpPrefix,
} from '../../sdk/services/common/index.js';
import { AllocatedSpace } from './allocated-space.js';
import type { Allocation, SqliteAllocationStore } from './store.js';

export interface AllocateRequest {
  readonly pool: IpPrefix;
  readonly prefixLength: number;
  /** Who holds the subnet; the same owner, pool and length always get the same subnet. */
  readonly owner?: string;
}

export const MAX_OWNER_LENGTH = 253;

export class SubnetAllocator {
  private readonly spaces = new Map<IpFamily, AllocatedSpace>([
    [4, new AllocatedSpace()],
    [6, new AllocatedSpace()],
  ]);

  constructor(
    private readonly store: SqliteAllocationStore,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {
    const loaded = store.all();
    for (const allocation of loaded) this.space(allocation.subnet.family).add(allocation.subnet);
    if (loaded.length > 0) logger?.info({ allocations: loaded.length }, 'restored allocated subnets');
  }

  /**
   * The owner's subnet if it has one, else the lowest free subnet of `prefixLength` in the pool.
   * Throws InvalidArgumentError for a length the pool cannot hold, ResourceExhaustedError when the
   * pool is full; nothing is stored then.
   */
  allocate(request: AllocateRequest): Allocation {
    const [result] = this.allocateAll([request]);
    if (result instanceof Error) throw result;
    return result as Allocation;
  }

  /**
   * Serves several requests in one transaction, so they share one disk sync (group commit). Each
   * request gets its allocation or its own error; a failed commit fails them all and changes nothing.
   */
  allocateAll(requests: readonly AllocateRequest[]): (Allocation | MeridioError)[] {
    const added: IpPrefix[] = [];
    let results: (Allocation | MeridioError)[];
    try {
      results = this.store.transaction(() =>
        requests.map((request) => {
          try {
            return this.allocateOne(request, added);
          } catch (error) {
            if (error instanceof MeridioError) return error;
            throw error;
          }
        }),
      );
    } catch (error) {
      for (const subnet of added) this.space(subnet.family).remove(subnet);
      throw error;
    }
    for (const result of results) {
      if (result instanceof Error || !added.includes(result.subnet)) continue;
      const { pool, subnet, owner } = result;
      this.logger?.info(
        { pool: formatPrefix(pool), subnet: formatPrefix(subnet), owner },
        'subnet allocated',
      );
    }
    return results;
  }

  private allocateOne(request: AllocateRequest, added: IpPrefix[]): Allocation {
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
    const held = owner === undefined ? undefined : this.store.byOwner(pool, prefixLength, owner);
    if (held) return held;
    const space = this.space(pool.family);
    const subnet = space.findFree(pool, prefixLength);
    if (!subnet) {
      throw new ResourceExhaustedError(
        `pool ${formatPrefix(pool)} has no free /${prefixLength} left; release a subnet or use a larger pool`,
      );
    }
    const allocation: Allocation = { pool, subnet, owner, createdAt: this.clock.now() };
    this.store.insert(allocation);
    // The index follows at once, so the next request of the same transaction sees this subnet taken.
    space.add(subnet);
    added.push(subnet);
    return allocation;
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
    const released = this.store.remove(pool, subnet);
    if (!released) return false;
    this.space(subnet.family).remove(subnet);
    this.logger?.info({ pool: formatPrefix(pool), subnet: formatPrefix(subnet) }, 'subnet released');
    return true;
  }

  allocations(): Allocation[] {
    return this.store.all();
  }

  private space(family: IpFamily): AllocatedSpace {
    return this.spaces.get(family) as AllocatedSpace;
  }
}
