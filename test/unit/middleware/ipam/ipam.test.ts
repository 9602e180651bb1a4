import {
  Code,
  codeOf,
  type Connection,
  defineServer,
  ipContextOf,
  PermissionDeniedError,
} from '../../../../sdk/core/index.js';
import { AddressPool, ipamClient, ipamServer } from '../../../../sdk/middleware/ipam/index.js';
import { countServer, describeElementContract, newSandbox } from '../../../../sdk/testing/index.js';

const SUBNETS = ['172.16.3.0/24', 'fd00:0:0:3::/64'];

function farAddresses(connection: Connection): string[] {
  return ipContextOf(connection).src_ip_addrs;
}

describeElementContract('ipamServer', () => ipamServer({ pool: new AddressPool(SUBNETS) }));
describeElementContract('ipamClient', () => ipamClient({ pool: new AddressPool(SUBNETS) }));

describe('AddressPool', () => {
  it('refuses no subnet, two subnets of one family and a subnet without room', () => {
    expect(() => new AddressPool([])).toThrow(/at least one subnet/);
    expect(() => new AddressPool(['10.0.0.0/24', '10.0.1.0/24'])).toThrow(/2 IPv4 subnets/);
    expect(() => new AddressPool(['10.0.0.0/31'])).toThrow(/too small/);
    expect(() => new AddressPool(['10.0.0.1/24'])).toThrow(/host bits/);
  });

  it('names the bridge addresses and never hands them out, nor the network or broadcast address', () => {
    const pool = new AddressPool(['10.0.0.0/29', 'fd00::/125']);
    expect(pool.bridgeAddresses).toEqual(['10.0.0.1/29', 'fd00::1/125']);
    const handed = new Set<string>();
    for (let owner = 0; owner < 5; owner++) {
      for (const address of pool.lease(`o${owner}`, [])) handed.add(address);
    }
    expect([...handed].filter((a) => a.startsWith('10.')).sort()).toEqual([
      '10.0.0.2/29',
      '10.0.0.3/29',
      '10.0.0.4/29',
      '10.0.0.5/29',
      '10.0.0.6/29',
    ]);
    expect(handed.has('fd00::1/125')).toBe(false);
    expect(handed.has('fd00::/125')).toBe(false);
    expect(() => pool.lease('o6', [])).toThrow(/no free address left/);
  });

  it('takes a wanted address back when it is free, and gives another when it is held', () => {
    const pool = new AddressPool(SUBNETS);
    expect(pool.lease('a', ['172.16.3.77/24', 'fd00:0:0:3::77/64'])).toEqual([
      '172.16.3.77/24',
      'fd00:0:0:3::77/64',
    ]);
    const other = pool.lease('b', ['172.16.3.77/24']);
    expect(other[0]).not.toBe('172.16.3.77/24');
    expect(pool.lease('a', [])).toEqual(['172.16.3.77/24', 'fd00:0:0:3::77/64']);
    expect(pool.lease('c', ['10.9.9.9/24', '172.16.3.1/24'])[0]).not.toMatch(
      /^(10\.9\.9\.9|172\.16\.3\.1)\//,
    );
  });

  it('puts everything back when one subnet is full', () => {
    const pool = new AddressPool(['172.16.3.0/24', 'fd00::/126']);
    pool.lease('first', []);
    pool.lease('second', []);
    expect(pool.owners).toBe(2);
    expect(() => pool.lease('third', [])).toThrow(/fd00::\/126 has no free address/);
    expect(pool.owners).toBe(2);
    expect(pool.addressesOf('third')).toEqual([]);
    pool.release('first');
    expect(pool.lease('third', [])).toHaveLength(2);
  });
});

describe('ipamServer in a sandbox', () => {
  it("gives the target one address per family, keeps the proxy's end without one, and names the bridge", async () => {
    const pool = new AddressPool(SUBNETS);
    const sandbox = newSandbox({ endpoint: { additional: [ipamServer({ pool })] } });
    const connection = await sandbox.request({
      connection: {
        network_service: 'proxy',
        context: { ip_context: { dst_ip_addrs: ['172.16.3.200/24'], extra_prefixes: ['10.1.0.0/16'] } },
      },
    });
    const ip = ipContextOf(connection);
    expect(ip.src_ip_addrs).toHaveLength(2);
    expect(ip.src_ip_addrs[0]).toMatch(/^172\.16\.3\.\d+\/24$/);
    expect(ip.src_ip_addrs[1]).toMatch(/^fd00:0:0:3::[0-9a-f]+\/64$/);
    expect(ip.dst_ip_addrs).toEqual([]);
    expect(ip.extra_prefixes).toEqual(['10.1.0.0/16', '172.16.3.1/24', 'fd00:0:0:3::1/64']);
    sandbox.stop();
  });

  it('keeps the addresses on refresh, gives two targets different ones, and frees them on close', async () => {
    const pool = new AddressPool(SUBNETS);
    const sandbox = newSandbox({ endpoint: { additional: [ipamServer({ pool })] } });
    const first = await sandbox.request({ connection: { network_service: 'proxy' } });
    const second = await sandbox
      .newClient()
      .request(sandbox.context(), { connection: { network_service: 'proxy' } });
    expect(farAddresses(first)).not.toEqual(farAddresses(second));
    expect(pool.owners).toBe(2);
    const refreshed = await sandbox.request({ connection: first });
    expect(farAddresses(refreshed)).toEqual(farAddresses(first));
    await sandbox.clock.advance(5 * 60_000);
    expect(pool.owners).toBe(2);
    await sandbox.close(refreshed);
    expect(pool.owners).toBe(1);
    sandbox.stop();
  });

  it("recovers a target's addresses after a proxy restart (a new pool, the same subnets)", async () => {
    const before = newSandbox({ endpoint: { additional: [ipamServer({ pool: new AddressPool(SUBNETS) })] } });
    const connection = await before.request({ connection: { network_service: 'proxy' } });
    before.stop();
    const pool = new AddressPool(SUBNETS);
    const after = newSandbox({ endpoint: { additional: [ipamServer({ pool })] } });
    const healed = await after.request({ connection });
    expect(farAddresses(healed)).toEqual(farAddresses(connection));
    // A newcomer does not get them any more.
    const newcomer = await after.newClient().request(after.context(), {
      connection: {
        network_service: 'proxy',
        context: { ip_context: { src_ip_addrs: farAddresses(connection) } },
      },
    });
    expect(farAddresses(newcomer).some((a) => farAddresses(connection).includes(a))).toBe(false);
    after.stop();
  });

  it('frees a new lease when next fails, keeps the old one when a refresh fails', async () => {
    const pool = new AddressPool(SUBNETS);
    let refuse = false;
    const gate = defineServer('gate', {
      request: (ctx, request, next) => {
        if (refuse) return Promise.reject(new PermissionDeniedError('refused by the test'));
        return next.request(ctx, request);
      },
    });
    const counter = countServer();
    const sandbox = newSandbox({ endpoint: { additional: [ipamServer({ pool }), gate, counter] } });
    refuse = true;
    const failed = await sandbox
      .request({ connection: { network_service: 'proxy' } })
      .catch((e: unknown) => e);
    expect(codeOf(failed)).toBe(Code.PERMISSION_DENIED);
    expect(pool.owners).toBe(0);
    refuse = false;
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    refuse = true;
    const moved = structuredClone(connection);
    ipContextOf(moved).src_ip_addrs = ['172.16.3.250/24', 'fd00:0:0:3::250/64'];
    await expect(sandbox.request({ connection: moved })).rejects.toThrow('refused by the test');
    expect(pool.owners).toBe(1);
    refuse = false;
    const refreshed = await sandbox.request({ connection });
    expect(farAddresses(refreshed)).toEqual(farAddresses(connection));
    sandbox.stop();
  });

  it('fails with RESOURCE_EXHAUSTED when the subnet is full, holding nothing for that connection', async () => {
    const pool = new AddressPool(['172.16.3.0/30']);
    const sandbox = newSandbox({ endpoint: { additional: [ipamServer({ pool })] } });
    await sandbox.request({ connection: { network_service: 'proxy' } });
    const error = await sandbox
      .newClient()
      .request(sandbox.context(), { connection: { network_service: 'proxy' } })
      .catch((e: unknown) => e);
    expect(codeOf(error)).toBe(Code.RESOURCE_EXHAUSTED);
    expect(pool.owners).toBe(1);
    sandbox.stop();
  });
});

describe('ipamClient in a sandbox', () => {
  it("gives the LB's end the addresses, keeps them on refresh and frees them on close", async () => {
    const pool = new AddressPool(SUBNETS);
    const sandbox = newSandbox({ client: { additional: [ipamClient({ pool })] } });
    const connection = await sandbox.request({ connection: { network_service: 'load-balancer' } });
    const ip = ipContextOf(connection);
    expect(ip.dst_ip_addrs).toHaveLength(2);
    expect(ip.dst_ip_addrs[0]).toMatch(/^172\.16\.3\.\d+\/24$/);
    expect(ip.src_ip_addrs).toEqual([]);
    expect(ip.extra_prefixes).toEqual(pool.bridgeAddresses);
    const refreshed = await sandbox.request({ connection });
    expect(ipContextOf(refreshed).dst_ip_addrs).toEqual(ip.dst_ip_addrs);
    await sandbox.close(refreshed);
    expect(pool.owners).toBe(0);
    sandbox.stop();
  });

  it('shares the pool with the server half: an LB and a target never get the same address', async () => {
    const pool = new AddressPool(['172.16.3.0/29']);
    const targets = newSandbox({ endpoint: { additional: [ipamServer({ pool })] } });
    const lbs = newSandbox({ client: { additional: [ipamClient({ pool })] } });
    const addresses = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const target = await targets
        .newClient()
        .request(targets.context(), { connection: { network_service: 'proxy' } });
      const lb = await lbs.newClient({ additional: [ipamClient({ pool })] }).request(lbs.context(), {
        connection: { network_service: 'load-balancer' },
      });
      for (const address of [...farAddresses(target), ...ipContextOf(lb).dst_ip_addrs])
        addresses.add(address);
    }
    expect(addresses.size).toBe(4);
    expect(pool.owners).toBe(4);
    targets.stop();
    lbs.stop();
  });
});
