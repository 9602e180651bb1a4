import * as grpc from '@grpc/grpc-js';

import { ipamApi } from '../../../proto/index.js';
import type { IpamServiceClient } from '../../../proto/gen/ipam/IpamService.js';
import type { SubnetRequest } from '../../../proto/gen/ipam/SubnetRequest.js';
import type { SubnetRelease } from '../../../proto/gen/ipam/SubnetRelease.js';
import { Code, InvalidArgumentError, ResourceExhaustedError } from '../../../sdk/core/index.js';
import { parsePrefix, prefixContains, prefixEnd, type IpPrefix } from '../../../sdk/services/common/index.js';
import { createIpamClient, type IpamClient } from '../../../sdk/services/ipam/index.js';
import { startIpamService, type RunningIpamService } from '../../../endpoints/ipam/index.js';
import { healthStatus, scratch, silent } from './helpers.js';

/** Sorted by start, each block must begin after the previous one ends. */
function assertDisjoint(subnets: readonly IpPrefix[]): void {
  const sorted = [...subnets].sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as IpPrefix;
    const current = sorted[i] as IpPrefix;
    if (current.network <= prefixEnd(previous)) {
      throw new Error(
        `overlap: ${JSON.stringify([previous, current], (_, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`,
      );
    }
  }
}

function rawCall<Request>(
  method: (request: Request, callback: grpc.requestCallback<unknown>) => unknown,
  request: Request,
): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    method(request, (error) => resolve({ code: error?.code ?? Code.OK, details: error?.details ?? '' }));
  });
}

describe('IPAM service over gRPC', () => {
  const dirs = scratch('ipam');
  const listen = dirs.socket('ipam.sock');
  let service: RunningIpamService;
  let raw: IpamServiceClient;

  beforeAll(async () => {
    service = await startIpamService({ listen, databasePath: dirs.path('ipam.db'), logger: silent });
    raw = new (ipamApi().ipam.IpamService)(listen, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    raw.close();
    await service.stop();
    dirs.remove();
  });

  it('reports itself SERVING on the health service', async () => {
    expect(await healthStatus(listen, 'ipam.IpamService')).toBe('SERVING');
  });

  it('serves 1,000 concurrent allocations from 50 clients, IPv4 and IPv6, none overlapping, all inside their pools', async () => {
    const clients: IpamClient[] = Array.from({ length: 50 }, () =>
      createIpamClient({ address: listen, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } }),
    );
    const pools = { 4: '10.0.0.0/8', 6: 'fd00::/48' } as const;
    try {
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => {
          const family = i % 2 === 0 ? 4 : 6;
          // Mixed lengths, so blocks of different sizes compete for the same space.
          const prefixLength = family === 4 ? 20 + (i % 9) : 56 + (i % 9);
          return clients[i % 50]
            ?.allocate({ pool: pools[family], prefixLength })
            .then((cidr) => parsePrefix(cidr));
        }),
      );
      const subnets = results.filter((subnet): subnet is IpPrefix => subnet !== undefined);
      expect(subnets).toHaveLength(1000);
      for (const family of [4, 6] as const) {
        const ofFamily = subnets.filter((subnet) => subnet.family === family);
        expect(ofFamily).toHaveLength(500);
        const pool = parsePrefix(pools[family]);
        expect(ofFamily.every((subnet) => prefixContains(pool, subnet))).toBe(true);
        assertDisjoint(ofFamily);
      }
      expect(service.allocator.allocations()).toHaveLength(1000);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('gives an owner the same subnet again and releases it', async () => {
    const client = createIpamClient({ address: listen });
    try {
      const first = await client.allocate({ pool: '172.16.0.0/16', prefixLength: 24, owner: 'worker-1' });
      const other = await client.allocate({ pool: '172.16.0.0/16', prefixLength: 24, owner: 'worker-2' });
      expect(await client.allocate({ pool: '172.16.0.0/16', prefixLength: 24, owner: 'worker-1' })).toBe(
        first,
      );
      expect(other).not.toBe(first);
      await client.release({ pool: '172.16.0.0/16', subnet: first });
      await client.release({ pool: '172.16.0.0/16', subnet: first });
      expect(await client.allocate({ pool: '172.16.0.0/16', prefixLength: 24, owner: 'worker-3' })).toBe(
        first,
      );
    } finally {
      client.close();
    }
  });

  it.each<[string, SubnetRequest, number, string]>([
    [
      'a pool that is not a CIDR',
      { subnetPool: { address: 'banana', prefixLength: 16 }, prefixLength: 24 },
      Code.INVALID_ARGUMENT,
      'subnet pool "banana/16" is not a CIDR (write 172.16.0.0/16 or fd00::/48)',
    ],
    [
      'no pool',
      { prefixLength: 24 },
      Code.INVALID_ARGUMENT,
      'the request has no subnet pool (write it as address and prefixLength)',
    ],
    [
      'a pool with host bits set',
      { subnetPool: { address: '172.16.1.0', prefixLength: 16 }, prefixLength: 24 },
      Code.INVALID_ARGUMENT,
      'subnet pool 172.16.1.0/16 has host bits set; did you mean 172.16.0.0/16?',
    ],
    [
      'a prefix length equal to the pool',
      { subnetPool: { address: '172.16.0.0', prefixLength: 16 }, prefixLength: 16 },
      Code.INVALID_ARGUMENT,
      'prefix length 16 does not fit pool 172.16.0.0/16: ask for a length from 17 to 32',
    ],
    [
      'a prefix length shorter than the pool',
      { subnetPool: { address: 'fd00::', prefixLength: 48 }, prefixLength: 40 },
      Code.INVALID_ARGUMENT,
      'prefix length 40 does not fit pool fd00::/48: ask for a length from 49 to 128',
    ],
    [
      'a prefix length longer than an address',
      { subnetPool: { address: '172.16.0.0/16' }, prefixLength: 33 },
      Code.INVALID_ARGUMENT,
      'prefix length 33 does not fit pool 172.16.0.0/16: ask for a length from 17 to 32',
    ],
    [
      'a CIDR that disagrees with its length',
      { subnetPool: { address: '172.16.0.0/16', prefixLength: 12 }, prefixLength: 24 },
      Code.INVALID_ARGUMENT,
      'subnet pool "172.16.0.0/16" disagrees with its prefixLength 12; give the length once',
    ],
  ])('refuses %s with a sentence and stores nothing', async (_case, request, code, details) => {
    const before = service.allocator.allocations().length;
    expect(await rawCall(raw.Allocate.bind(raw), request)).toEqual({ code, details });
    expect(service.allocator.allocations()).toHaveLength(before);
  });

  it('answers RESOURCE_EXHAUSTED for a full pool, and the SDK client passes it on typed', async () => {
    const pool = { address: '192.168.7.0', prefixLength: 30 };
    for (let i = 0; i < 4; i++) {
      expect(await rawCall(raw.Allocate.bind(raw), { subnetPool: pool, prefixLength: 32 })).toEqual({
        code: Code.OK,
        details: '',
      });
    }
    const before = service.allocator.allocations().length;
    expect(await rawCall(raw.Allocate.bind(raw), { subnetPool: pool, prefixLength: 32 })).toEqual({
      code: Code.RESOURCE_EXHAUSTED,
      details: 'pool 192.168.7.0/30 has no free /32 left; release a subnet or use a larger pool',
    });
    const client = createIpamClient({ address: listen });
    try {
      const refused = client.allocate({ pool: '192.168.7.0/30', prefixLength: 32, owner: 'x' });
      await expect(refused).rejects.toBeInstanceOf(ResourceExhaustedError);
      await expect(refused).rejects.toThrow(
        'pool 192.168.7.0/30 has no free /32 left; release a subnet or use a larger pool',
      );
      await expect(client.allocate({ pool: '192.168.7.0/33', prefixLength: 32 })).rejects.toThrow(
        InvalidArgumentError,
      );
    } finally {
      client.close();
    }
    expect(service.allocator.allocations()).toHaveLength(before);
  });

  it('refuses to release a subnet outside its pool', async () => {
    const request: SubnetRelease = {
      subnetPool: { address: '172.16.0.0', prefixLength: 16 },
      subnet: { address: '10.1.0.0', prefixLength: 24 },
    };
    expect(await rawCall(raw.Release.bind(raw), request)).toEqual({
      code: Code.INVALID_ARGUMENT,
      details: 'subnet 10.1.0.0/24 is not a child of pool 172.16.0.0/16',
    });
  });
});

describe('IPAM client', () => {
  it('waits with backoff for a service that is not up yet', async () => {
    const dirs = scratch('ipam-late');
    const listen = dirs.socket('ipam.sock');
    const client = createIpamClient({ address: listen, backoff: { initialMs: 20, maxMs: 100 } });
    let service: RunningIpamService | undefined;
    try {
      const pending = client.allocate({ pool: 'fd00::/48', prefixLength: 64, owner: 'early' });
      await new Promise((done) => setTimeout(done, 300));
      service = await startIpamService({ listen, databasePath: dirs.path('ipam.db'), logger: silent });
      expect(await pending).toBe('fd00::/64');
    } finally {
      client.close();
      await service?.stop();
      dirs.remove();
    }
  });

  it('stops waiting when its signal aborts', async () => {
    const dirs = scratch('ipam-never');
    const client = createIpamClient({
      address: dirs.socket('ipam.sock'),
      backoff: { initialMs: 20, maxMs: 50 },
    });
    try {
      const controller = new AbortController();
      const pending = client.allocate({ pool: 'fd00::/48', prefixLength: 64 }, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('gave up')), 200);
      await expect(pending).rejects.toThrow('gave up');
    } finally {
      client.close();
      dirs.remove();
    }
  });
});
