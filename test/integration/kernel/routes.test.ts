import {
  KernelExistsError,
  KernelInvalidArgumentError,
  KernelUnreachableError,
} from '../../../sdk/kernel/index.js';
import { ip, ipJson, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  type?: string;
  flags: string[];
  metric?: number;
  nexthops?: { gateway: string; dev: string; weight: number }[];
}

skipUnlessRoot('kernel route tests')('routes', () => {
  const sandbox = useNetnsSandbox('krt');

  /** One namespace with two up veth pairs (r0/r1 and s0/s1), addresses on r0 and s0. */
  async function setup(): Promise<{ name: string; handle: ReturnType<typeof sandbox.kernel.netns> }> {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    for (const [end, peer, v4, v6] of [
      ['r0', 'r1', '10.1.0.1/24', 'fd00:1::1/64'],
      ['s0', 's1', '10.2.0.1/24', 'fd00:2::1/64'],
    ]) {
      await handle.links.createVeth({ name: end, peer: { name: peer }, up: true });
      await handle.links.setUp(peer);
      await handle.addresses.add(end, v4);
      await handle.addresses.add(end, v6, { nodad: true });
    }
    return { name, handle };
  }

  it('adds a route with gateway, source and metric in a table; add twice is an Exists error; replace is idempotent', async () => {
    const { name, handle } = await setup();
    const spec = {
      destination: '20.0.0.0/24',
      gateway: '10.1.0.2',
      source: '10.1.0.1',
      metric: 7,
      table: 100,
    };
    await handle.routes.add(spec);
    const [route] = ipJson<IpRoute[]>(name, 'route', 'show', 'table', '100');
    expect(route).toMatchObject({
      dst: '20.0.0.0/24',
      gateway: '10.1.0.2',
      dev: 'r0',
      prefsrc: '10.1.0.1',
      metric: 7,
    });
    const listed = await handle.routes.list({ table: 100 });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      destination: '20.0.0.0/24',
      gateway: '10.1.0.2',
      source: '10.1.0.1',
      metric: 7,
      table: 100,
    });

    await expect(handle.routes.add(spec)).rejects.toThrow(KernelExistsError);
    await handle.routes.replace({ ...spec, gateway: '10.1.0.3' });
    await handle.routes.replace({ ...spec, gateway: '10.1.0.3' });
    expect(ipJson<IpRoute[]>(name, 'route', 'show', 'table', '100')).toEqual([
      expect.objectContaining({ dst: '20.0.0.0/24', gateway: '10.1.0.3' }),
    ]);

    expect(await handle.routes.delete({ destination: '20.0.0.0/24', table: 100 })).toBe(true);
    expect(ip(name, 'route', 'show', 'table', '100').trim()).toBe('');
    expect(await handle.routes.delete({ destination: '20.0.0.0/24', table: 100 })).toBe(false);
    expect(await handle.routes.delete({ destination: '20.0.0.0/24', device: 'gone0' })).toBe(false);
  });

  it('adds a default route and a device route in the main table, and an IPv6 route in a table above 255', async () => {
    const { name, handle } = await setup();
    await handle.routes.replace({ destination: 'default', gateway: '10.2.0.2' });
    await handle.routes.replace({ destination: '30.0.0.0/16', device: 'r0' });
    await handle.routes.replace({ destination: 'fd00:20::/64', gateway: 'fd00:1::2', table: 5001 });
    expect(ipJson<IpRoute[]>(name, 'route', 'show', 'default')).toEqual([
      expect.objectContaining({ dst: 'default', gateway: '10.2.0.2', dev: 's0' }),
    ]);
    expect(ip(name, 'route', 'show', '30.0.0.0/16')).toContain('dev r0 proto static scope link');
    expect(ipJson<IpRoute[]>(name, '-6', 'route', 'show', 'table', '5001')).toEqual([
      expect.objectContaining({ dst: 'fd00:20::/64', gateway: 'fd00:1::2', dev: 'r0' }),
    ]);
    const main = await handle.routes.list({ table: 254, family: 4 });
    expect(main.map((route) => route.destination)).toEqual(
      expect.arrayContaining(['default', '30.0.0.0/16', '10.1.0.0/24']),
    );
    expect(await handle.routes.list({ table: 5001 })).toEqual([
      expect.objectContaining({ family: 6, destination: 'fd00:20::/64', gateway: 'fd00:1::2', table: 5001 }),
    ]);
  });

  it('adds an onlink route through a gateway outside every subnet', async () => {
    const { name, handle } = await setup();
    await expect(
      handle.routes.add({ destination: '40.0.0.0/24', gateway: '192.168.99.1', device: 'r0' }),
    ).rejects.toThrow(KernelUnreachableError);
    await handle.routes.add({
      destination: '40.0.0.0/24',
      gateway: '192.168.99.1',
      device: 'r0',
      onlink: true,
    });
    const [route] = ipJson<IpRoute[]>(name, 'route', 'show', '40.0.0.0/24');
    expect(route.flags).toContain('onlink');
    expect(
      (await handle.routes.list({ table: 254 })).find((r) => r.destination === '40.0.0.0/24'),
    ).toMatchObject({
      onlink: true,
      gateway: '192.168.99.1',
    });
  });

  it('adds a multipath route (IPv4 and IPv6) that shows both nexthops', async () => {
    const { name, handle } = await setup();
    await handle.routes.replace({
      destination: '20.0.0.1/32',
      table: 10,
      nexthops: [{ gateway: '10.1.0.2' }, { gateway: '10.2.0.2', weight: 3 }],
    });
    const [route] = ipJson<IpRoute[]>(name, 'route', 'show', 'table', '10');
    expect(route.nexthops).toEqual([
      expect.objectContaining({ gateway: '10.1.0.2', dev: 'r0', weight: 1 }),
      expect.objectContaining({ gateway: '10.2.0.2', dev: 's0', weight: 3 }),
    ]);
    const [listed] = await handle.routes.list({ table: 10 });
    expect(listed.nexthops).toEqual([
      expect.objectContaining({ gateway: '10.1.0.2', weight: 1 }),
      expect.objectContaining({ gateway: '10.2.0.2', weight: 3 }),
    ]);

    await handle.routes.replace({
      destination: 'fd00:20::1/128',
      table: 10,
      nexthops: [
        { gateway: 'fd00:1::2', device: 'r0' },
        { gateway: 'fd00:2::2', device: 's0' },
      ],
    });
    const [v6] = ipJson<IpRoute[]>(name, '-6', 'route', 'show', 'table', '10');
    expect(v6.nexthops?.map((nexthop) => nexthop.gateway)).toEqual(['fd00:1::2', 'fd00:2::2']);
    expect((await handle.routes.list({ table: 10, family: 6 }))[0].nexthops).toHaveLength(2);

    // Replacing with a single nexthop shrinks the route; delete removes it.
    await handle.routes.replace({ destination: '20.0.0.1/32', table: 10, gateway: '10.2.0.2' });
    expect(ipJson<IpRoute[]>(name, 'route', 'show', 'table', '10')).toEqual([
      expect.objectContaining({ dst: '20.0.0.1', gateway: '10.2.0.2' }),
    ]);
    expect(await handle.routes.delete({ destination: '20.0.0.1/32', table: 10 })).toBe(true);
    expect(await handle.routes.delete({ destination: 'fd00:20::1/128', table: 10 })).toBe(true);
    expect(ip(name, 'route', 'show', 'table', '10').trim()).toBe('');
  });

  it('adds blackhole routes for a VIP (v4 and v6) and deletes them', async () => {
    const { name, handle } = await setup();
    await handle.routes.replace({ destination: '20.0.0.1/32', type: 'blackhole', table: 200 });
    await handle.routes.replace({ destination: 'fd00:20::1/128', type: 'blackhole', table: 200 });
    expect(ip(name, 'route', 'show', 'table', '200').trim()).toBe('blackhole 20.0.0.1 proto static');
    expect(ip(name, '-6', 'route', 'show', 'table', '200')).toContain('blackhole fd00:20::1');
    expect(
      (await handle.routes.list({ table: 200 })).map((route) => `${route.type} ${route.destination}`),
    ).toEqual(['blackhole 20.0.0.1/32', 'blackhole fd00:20::1/128']);
    expect(await handle.routes.delete({ destination: '20.0.0.1/32', type: 'blackhole', table: 200 })).toBe(
      true,
    );
    expect(await handle.routes.delete({ destination: 'fd00:20::1/128', type: 'blackhole', table: 200 })).toBe(
      true,
    );
    expect(await handle.routes.list({ table: 200 })).toEqual([]);
  });

  it('looks routes up like `ip route get`', async () => {
    const { handle } = await setup();
    await handle.routes.replace({ destination: '50.0.0.0/8', gateway: '10.2.0.2' });
    expect(await handle.routes.lookup('50.1.2.3')).toMatchObject({ gateway: '10.2.0.2', table: 254 });
  });

  it('rejects invalid routes before calling the kernel, naming the namespace', async () => {
    const { name, handle } = await setup();
    const bad = [
      { destination: 'default' },
      { destination: '10.0.0.0/8', gateway: 'fd00::1' },
      { destination: '10.0.0.0/8', gateway: '10.1.0.2', nexthops: [{ gateway: '10.2.0.2' }] },
      { destination: '10.0.0.0/8', nexthops: [] },
      { destination: '10.0.0.0/8', onlink: true, gateway: '10.1.0.2' },
      { destination: '10.0.0.0/8', type: 'blackhole' as const, gateway: '10.1.0.2' },
      { destination: '10.0.0.0/8', nexthops: [{ gateway: '10.1.0.2', weight: 0 }] },
    ];
    for (const spec of bad) {
      await expect(handle.routes.replace(spec)).rejects.toThrow(KernelInvalidArgumentError);
      await expect(handle.routes.replace(spec)).rejects.toThrow(`network namespace '${name}'`);
    }
  });
});
