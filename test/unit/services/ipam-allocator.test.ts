import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Code, InvalidArgumentError, ResourceExhaustedError } from '../../../sdk/core/index.js';
import {
  formatPrefix,
  parsePrefix,
  prefixContains,
  prefixesOverlap,
  type IpPrefix,
} from '../../../sdk/services/common/index.js';
import {
  AllocatedSpace,
  SqliteAllocationStore,
  SubnetAllocator,
  findFreeSubnet,
} from '../../../endpoints/ipam/index.js';
import { FakeClock } from './fake-clock.js';

function range(cidr: string): { start: bigint; end: bigint } {
  const prefix = parsePrefix(cidr);
  return {
    start: prefix.network,
    end: prefix.network + (1n << BigInt((prefix.family === 4 ? 32 : 128) - prefix.length)) - 1n,
  };
}

describe('first-fit search', () => {
  const pool = parsePrefix('10.0.0.0/16');
  const find = (length: number, taken: string[]): string | undefined => {
    const found = findFreeSubnet(pool, length, taken.map(range));
    return found && formatPrefix(found);
  };

  it('takes the lowest aligned block that overlaps nothing, whatever the sizes around it', () => {
    expect(find(24, [])).toBe('10.0.0.0/24');
    expect(find(24, ['10.0.0.0/24', '10.0.1.0/24'])).toBe('10.0.2.0/24');
    expect(find(24, ['10.0.0.0/26'])).toBe('10.0.1.0/24');
    expect(find(26, ['10.0.0.0/26', '10.0.0.128/26'])).toBe('10.0.0.64/26');
    expect(find(22, ['10.0.1.0/24'])).toBe('10.0.4.0/22');
    expect(find(24, ['9.0.0.0/8', '10.0.0.0/24'])).toBe('10.0.1.0/24');
  });

  it('finds nothing when the pool is covered, also by a larger block from another pool', () => {
    expect(find(17, ['10.0.0.0/17', '10.0.128.0/17'])).toBeUndefined();
    expect(find(24, ['10.0.0.0/8'])).toBeUndefined();
    expect(find(30, ['10.0.0.0/17', '10.0.128.0/18', '10.0.192.0/19', '10.0.224.0/19'])).toBeUndefined();
  });

  it('works on IPv6 with BigInt arithmetic', () => {
    const v6 = parsePrefix('fd00::/48');
    const found = findFreeSubnet(v6, 64, [range('fd00::/64'), range('fd00:0:0:1::/64')]);
    expect(found && formatPrefix(found)).toBe('fd00:0:0:2::/64');
  });
});

describe('subnet allocator', () => {
  let dir: string;
  let store: SqliteAllocationStore;
  let allocator: SubnetAllocator;
  const clock = new FakeClock();

  const open = (): void => {
    store = SqliteAllocationStore.open(join(dir, 'ipam.db'));
    allocator = new SubnetAllocator(store, clock);
  };
  const allocate = (pool: string, prefixLength: number, owner?: string): string =>
    formatPrefix(allocator.allocate({ pool: parsePrefix(pool), prefixLength, owner }).subnet);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meridio-ipam-unit-'));
    open();
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('allocates child subnets in order, IPv4 and IPv6', () => {
    expect([1, 2, 3].map(() => allocate('172.16.0.0/16', 24))).toEqual([
      '172.16.0.0/24',
      '172.16.1.0/24',
      '172.16.2.0/24',
    ]);
    expect([1, 2].map(() => allocate('fd00::/48', 64))).toEqual(['fd00::/64', 'fd00:0:0:1::/64']);
    expect(allocate('172.16.0.0/16', 26)).toBe('172.16.3.0/26');
  });

  it('gives an owner the same subnet for the same pool and length, also after a restart', () => {
    const mine = allocate('172.16.0.0/16', 24, 'worker-1');
    allocate('172.16.0.0/16', 24);
    expect(allocate('172.16.0.0/16', 24, 'worker-1')).toBe(mine);
    expect(allocate('172.16.0.0/16', 26, 'worker-1')).not.toBe(mine);
    store.close();
    open();
    expect(allocate('172.16.0.0/16', 24, 'worker-1')).toBe(mine);
    expect(allocate('172.16.0.0/16', 24, 'worker-2')).toBe('172.16.3.0/24');
  });

  it('keeps allocations of overlapping pools apart', () => {
    expect(allocate('10.0.0.0/16', 24)).toBe('10.0.0.0/24');
    expect(allocate('10.0.0.0/8', 24)).toBe('10.0.1.0/24');
    expect(allocate('10.0.0.0/8', 16)).toBe('10.1.0.0/16');
  });

  it('refuses lengths the pool cannot hold with INVALID_ARGUMENT, storing nothing', () => {
    const pool = parsePrefix('172.16.0.0/16');
    for (const [prefixLength, message] of [
      [16, 'prefix length 16 does not fit pool 172.16.0.0/16: ask for a length from 17 to 32'],
      [8, 'prefix length 8 does not fit pool 172.16.0.0/16: ask for a length from 17 to 32'],
      [33, 'prefix length 33 does not fit pool 172.16.0.0/16: ask for a length from 17 to 32'],
    ] as const) {
      expect(() => allocator.allocate({ pool, prefixLength })).toThrow(new InvalidArgumentError(message));
    }
    expect(() => allocator.allocate({ pool: parsePrefix('fd00::/48'), prefixLength: 129 })).toThrow(
      'prefix length 129 does not fit pool fd00::/48: ask for a length from 49 to 128',
    );
    expect(() => allocator.allocate({ pool: parsePrefix('10.0.0.1/32'), prefixLength: 32 })).toThrow(
      'pool 10.0.0.1/32 is a single address and has no child subnets',
    );
    expect(allocator.allocations()).toEqual([]);
  });

  it('reports an exhausted pool with RESOURCE_EXHAUSTED and stores nothing more', () => {
    const taken = [1, 2, 3, 4].map(() => allocate('192.168.0.0/24', 26));
    expect(taken).toEqual(['192.168.0.0/26', '192.168.0.64/26', '192.168.0.128/26', '192.168.0.192/26']);
    let error: unknown;
    try {
      allocate('192.168.0.0/24', 26, 'late');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ResourceExhaustedError);
    expect((error as ResourceExhaustedError).code).toBe(Code.RESOURCE_EXHAUSTED);
    expect((error as Error).message).toBe(
      'pool 192.168.0.0/24 has no free /26 left; release a subnet or use a larger pool',
    );
    expect(allocator.allocations()).toHaveLength(4);
  });

  it('releases a subnet for reuse; releasing twice is harmless; a subnet outside the pool is refused', () => {
    const pool = parsePrefix('192.168.0.0/24');
    const [first] = [1, 2].map(() => allocate('192.168.0.0/24', 25));
    expect(allocator.release(pool, parsePrefix(first ?? ''))).toBe(true);
    expect(allocator.release(pool, parsePrefix(first ?? ''))).toBe(false);
    expect(allocate('192.168.0.0/24', 25)).toBe(first);
    expect(() => allocator.release(pool, parsePrefix('10.0.0.0/25'))).toThrow(
      new InvalidArgumentError('subnet 10.0.0.0/25 is not a child of pool 192.168.0.0/24'),
    );
  });

  it('never hands out overlapping subnets of mixed lengths, stays inside the pool, and fills it', () => {
    const pool = parsePrefix('10.0.0.0/20');
    const subnets: IpPrefix[] = [];
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const prefixLength = 24 + (i % 7);
      try {
        subnets.push(allocator.allocate({ pool, prefixLength }).subnet);
      } catch (error) {
        expect(error).toBeInstanceOf(ResourceExhaustedError);
        refused++;
        // Refused only when truly no aligned block of that length is free.
        const size = 1n << BigInt(32 - prefixLength);
        let freeBlocks = 0;
        for (let network = pool.network; network < pool.network + 4096n; network += size) {
          const candidate: IpPrefix = { family: 4, network, length: prefixLength };
          if (!subnets.some((subnet) => prefixesOverlap(subnet, candidate))) freeBlocks++;
        }
        expect(freeBlocks).toBe(0);
      }
    }
    expect(subnets.every((subnet) => prefixContains(pool, subnet))).toBe(true);
    const sorted = [...subnets].sort((a, b) => (a.network < b.network ? -1 : 1));
    const overlapping = sorted.filter(
      (subnet, i) => i > 0 && prefixesOverlap(sorted[i - 1] as IpPrefix, subnet),
    );
    expect(overlapping).toEqual([]);
    const covered = subnets.reduce((sum, subnet) => sum + (1n << BigInt(32 - subnet.length)), 0n);
    expect(covered).toBe(4096n);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('allocated space index', () => {
  it('merges neighbours, splits on removal, and agrees with a brute-force model', () => {
    const pool = parsePrefix('10.0.0.0/22');
    const space = new AllocatedSpace();
    const held = new Map<string, IpPrefix>();
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let step = 0; step < 2000; step++) {
      if (held.size > 0 && random(3) === 0) {
        const keys = [...held.keys()];
        const key = keys[random(keys.length)] as string;
        space.remove(held.get(key) as IpPrefix);
        held.delete(key);
        continue;
      }
      const length = 24 + random(9);
      const found = space.findFree(pool, length);
      // Brute force: the lowest aligned block of that length that overlaps nothing held.
      const size = 1n << BigInt(32 - length);
      let expected: IpPrefix | undefined;
      const heldNow = [...held.values()];
      for (let network = pool.network; network < pool.network + 1024n && !expected; network += size) {
        const candidate: IpPrefix = { family: 4, network, length };
        if (!heldNow.some((subnet) => prefixesOverlap(subnet, candidate))) expected = candidate;
      }
      expect(found && formatPrefix(found)).toBe(expected && formatPrefix(expected));
      if (found) {
        space.add(found);
        held.set(formatPrefix(found), found);
      }
    }
    // Merged ranges: never more than the allocations, and one when everything is held contiguously.
    expect(space.rangeCount).toBeLessThanOrEqual(held.size);
    for (const subnet of held.values()) space.remove(subnet);
    expect(space.rangeCount).toBe(0);
    for (let i = 0; i < 4; i++) space.add(parsePrefix(`10.0.${i}.0/24`));
    expect(space.rangeCount).toBe(1);
    space.remove(parsePrefix('10.0.1.0/24'));
    expect(space.rangeCount).toBe(2);
  });
});
