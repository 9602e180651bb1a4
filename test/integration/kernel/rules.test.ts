import { KernelInvalidArgumentError } from '../../../sdk/kernel/index.js';
import { ip, ipJson, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

interface IpRule {
  priority: number;
  src?: string;
  srclen?: number;
  fwmark?: string;
  table?: string;
  action?: string;
}

skipUnlessRoot('kernel rule tests')('rules', () => {
  const sandbox = useNetnsSandbox('kru');

  async function setup(): Promise<{ name: string; handle: ReturnType<typeof sandbox.kernel.netns> }> {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    for (const [end, peer, v4, v6] of [
      ['t1', 't1p', '10.1.1.1/24', 'fd00:1:1::1/64'],
      ['t2', 't2p', '10.1.2.1/24', 'fd00:1:2::1/64'],
    ]) {
      await handle.links.createVeth({ name: end, peer: { name: peer }, up: true });
      await handle.links.setUp(peer);
      await handle.addresses.add(end, v4);
      await handle.addresses.add(end, v6, { nodad: true });
    }
    return { name, handle };
  }

  it('adds fwmark → table rules (v4 and v6) idempotently; the mark selects the table in a route lookup', async () => {
    const { name, handle } = await setup();
    // Meridio's scheme: fwmark = table = identifier + offset.
    for (const [mark, gateway, gateway6] of [
      [5001, '10.1.1.2', 'fd00:1:1::2'],
      [5002, '10.1.2.2', 'fd00:1:2::2'],
    ] as const) {
      expect(await handle.rules.add({ family: 4, fwmark: mark, table: mark, priority: mark })).toBe(true);
      expect(await handle.rules.add({ family: 4, fwmark: mark, table: mark, priority: mark })).toBe(false);
      expect(await handle.rules.add({ family: 6, fwmark: mark, table: mark, priority: mark })).toBe(true);
      await handle.routes.replace({ destination: 'default', gateway, table: mark });
      await handle.routes.replace({ destination: 'default', gateway: gateway6, table: mark });
    }
    const rules = ipJson<IpRule[]>(name, 'rule', 'show').filter((rule) => rule.fwmark !== undefined);
    expect(rules).toEqual([
      expect.objectContaining({ priority: 5001, fwmark: '0x1389', table: '5001' }),
      expect.objectContaining({ priority: 5002, fwmark: '0x138a', table: '5002' }),
    ]);
    expect((await handle.rules.list(4)).filter((rule) => rule.fwmark !== undefined)).toEqual([
      expect.objectContaining({ family: 4, priority: 5001, fwmark: 5001, table: 5001, action: 'lookup' }),
      expect.objectContaining({ family: 4, priority: 5002, fwmark: 5002, table: 5002, action: 'lookup' }),
    ]);
    expect(ip(name, 'route', 'get', '20.0.0.1', 'mark', '5002')).toContain('via 10.1.2.2 dev t2 table 5002');
    expect(await handle.routes.lookup('20.0.0.1', { mark: 5001 })).toMatchObject({
      gateway: '10.1.1.2',
      table: 5001,
    });
    expect(await handle.routes.lookup('20.0.0.1', { mark: 5002 })).toMatchObject({
      gateway: '10.1.2.2',
      table: 5002,
    });
    expect(await handle.routes.lookup('fd00:20::1', { mark: 5002 })).toMatchObject({
      gateway: 'fd00:1:2::2',
      table: 5002,
    });

    expect(await handle.rules.delete({ family: 4, fwmark: 5001, table: 5001, priority: 5001 })).toBe(true);
    expect(await handle.rules.delete({ family: 4, fwmark: 5001, table: 5001, priority: 5001 })).toBe(false);
    expect(ip(name, 'rule', 'show')).not.toContain('5001');
    expect(ip(name, '-6', 'rule', 'show')).toContain('fwmark 0x1389 lookup 5001');
  });

  it('adds from → table rules for a VIP (the target return path), v4 and v6', async () => {
    const { name, handle } = await setup();
    expect(await handle.rules.add({ from: '20.0.0.1', table: 200, priority: 100 })).toBe(true);
    expect(await handle.rules.add({ from: '20.0.0.1/32', table: 200, priority: 100 })).toBe(false);
    expect(await handle.rules.add({ from: 'fd00:20::1', table: 200, priority: 100 })).toBe(true);
    expect(await handle.rules.add({ from: '10.99.0.0/24', table: 108 })).toBe(true);
    expect(ip(name, 'rule', 'show')).toContain('100:\tfrom 20.0.0.1 lookup 200');
    expect(ip(name, 'rule', 'show')).toContain('from 10.99.0.0/24 lookup 108');
    expect(ip(name, '-6', 'rule', 'show')).toContain('100:\tfrom fd00:20::1 lookup 200');
    expect((await handle.rules.list()).filter((rule) => rule.from !== undefined)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ family: 4, priority: 100, from: '20.0.0.1/32', table: 200 }),
        expect.objectContaining({ family: 6, priority: 100, from: 'fd00:20::1/128', table: 200 }),
        expect.objectContaining({ family: 4, from: '10.99.0.0/24', table: 108 }),
      ]),
    );
    await handle.routes.replace({ destination: 'default', gateway: '10.1.2.2', table: 200 });
    // A target has the VIP on lo; the source of a lookup must be local.
    await handle.links.setUp('lo');
    await handle.addresses.add('lo', '20.0.0.1/32');
    expect(await handle.routes.lookup('8.8.8.8', { source: '20.0.0.1' })).toMatchObject({
      table: 200,
      gateway: '10.1.2.2',
    });

    expect(await handle.rules.delete({ from: '20.0.0.1', table: 200 })).toBe(true);
    expect(await handle.rules.delete({ from: 'fd00:20::1', table: 200 })).toBe(true);
    expect(await handle.rules.delete({ from: '10.99.0.0/24', table: 108 })).toBe(true);
    expect((await handle.rules.list()).filter((rule) => rule.from !== undefined)).toEqual([]);
  });

  it('adds a rule without a priority only once', async () => {
    const { name, handle } = await setup();
    expect(await handle.rules.add({ fwmark: 7, table: 107, family: 4 })).toBe(true);
    expect(await handle.rules.add({ fwmark: 7, table: 107, family: 4 })).toBe(false);
    expect(ip(name, 'rule', 'show').match(/fwmark 0x7 lookup 107/g)).toHaveLength(1);
  });

  it('adds drop rules (blackhole, unreachable)', async () => {
    const { name, handle } = await setup();
    await handle.rules.add({ from: '20.0.0.1', action: 'blackhole', priority: 32000 });
    await handle.rules.add({ to: '20.0.0.2', action: 'unreachable', priority: 32001 });
    expect(ip(name, 'rule', 'show')).toContain('32000:\tfrom 20.0.0.1 blackhole');
    expect(ip(name, 'rule', 'show')).toContain('32001:\tfrom all to 20.0.0.2 unreachable');
    expect(
      (await handle.rules.list(4)).filter((rule) => rule.priority >= 32000 && rule.priority < 32766),
    ).toEqual([
      expect.objectContaining({ action: 'blackhole', from: '20.0.0.1/32' }),
      expect.objectContaining({ action: 'unreachable', to: '20.0.0.2/32' }),
    ]);
  });

  it('rejects rules without family or table, naming the namespace', async () => {
    const { name, handle } = await setup();
    await expect(handle.rules.add({ fwmark: 1, table: 1 })).rejects.toThrow(KernelInvalidArgumentError);
    await expect(handle.rules.add({ from: '10.0.0.1' })).rejects.toThrow(`network namespace '${name}'`);
    await expect(handle.rules.add({ from: '10.0.0.1', to: 'fd00::1', table: 1 })).rejects.toThrow('disagree');
  });
});
