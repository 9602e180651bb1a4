import { KernelInvalidArgumentError, KernelNotFoundError } from '../../../sdk/kernel/index.js';
import { ipJson, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; nodad?: boolean; tentative?: boolean }[];
}

function ipAddresses(namespace: string, device: string): string[] {
  return ipJson<IpAddr[]>(namespace, 'addr', 'show', 'dev', device)[0]
    .addr_info.filter((info) => !info.local.startsWith('fe80'))
    .map((info) => `${info.local}/${info.prefixlen}`)
    .sort();
}

skipUnlessRoot('kernel address tests')('addresses', () => {
  const sandbox = useNetnsSandbox('kad');

  async function setup(): Promise<{ name: string; handle: ReturnType<typeof sandbox.kernel.netns> }> {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    await handle.links.createVeth({ name: 'e0', peer: { name: 'e1' }, up: true });
    await handle.links.setUp('e1');
    return { name, handle };
  }

  it('adds IPv4 and IPv6 (nodad) addresses, lists them per link, and iproute2 agrees', async () => {
    const { name, handle } = await setup();
    await handle.addresses.add('e0', '172.16.1.2/24');
    await handle.addresses.add('e0', 'fd00:1::2/64', { nodad: true });
    await handle.addresses.add('e1', '172.16.1.3/24');

    const listed = await handle.addresses.list('e0');
    expect(listed.map((address) => address.cidr).filter((cidr) => !cidr.startsWith('fe80'))).toEqual([
      '172.16.1.2/24',
      'fd00:1::2/64',
    ]);
    const v6 = listed.find((address) => address.address === 'fd00:1::2');
    expect(v6).toMatchObject({ family: 6, prefixLength: 64, nodad: true, tentative: false });
    expect(ipAddresses(name, 'e0')).toEqual(['172.16.1.2/24', 'fd00:1::2/64']);
    const ipV6 = ipJson<IpAddr[]>(name, 'addr', 'show', 'dev', 'e0')[0].addr_info.find(
      (i) => i.local === 'fd00:1::2',
    );
    expect(ipV6?.nodad).toBe(true);
    // lo is down in a new namespace, so it has no address yet.
    expect((await handle.addresses.list(undefined, 4)).map((address) => address.cidr).sort()).toEqual([
      '172.16.1.2/24',
      '172.16.1.3/24',
    ]);
  });

  it('adding an address twice is a no-op (replace semantics)', async () => {
    const { name, handle } = await setup();
    await handle.addresses.add('e0', '10.9.0.1/24');
    await handle.addresses.add('e0', '10.9.0.1/24');
    await handle.addresses.add('e0', 'fd00:9::1/64', { nodad: true });
    await handle.addresses.add('e0', 'fd00:9::1/64', { nodad: true });
    expect(ipAddresses(name, 'e0')).toEqual(['10.9.0.1/24', 'fd00:9::1/64']);
  });

  it('deletes an address; deleting it again returns false', async () => {
    const { name, handle } = await setup();
    await handle.addresses.add('e0', '10.9.0.1/24');
    await handle.addresses.add('e0', 'fd00:9::1/64', { nodad: true });
    expect(await handle.addresses.delete('e0', '10.9.0.1/24')).toBe(true);
    expect(await handle.addresses.delete('e0', 'fd00:9::1/64')).toBe(true);
    expect(ipAddresses(name, 'e0')).toEqual([]);
    expect(await handle.addresses.delete('e0', '10.9.0.1/24')).toBe(false);
    expect(await handle.addresses.delete('e0', 'fd00:9::1/64')).toBe(false);
    await handle.links.delete('e0');
    expect(await handle.addresses.delete('e0', '10.9.0.1/24')).toBe(false);
  });

  it('rejects bad addresses and unknown links with errors naming the namespace', async () => {
    const { name, handle } = await setup();
    await expect(handle.addresses.add('e0', '10.0.0.300/24')).rejects.toThrow(KernelInvalidArgumentError);
    await expect(handle.addresses.add('e0', '10.0.0.1/33')).rejects.toThrow('invalid prefix length');
    await expect(handle.addresses.add('nope0', '10.0.0.1/24')).rejects.toThrow(KernelNotFoundError);
    await expect(handle.addresses.add('nope0', '10.0.0.1/24')).rejects.toThrow(`network namespace '${name}'`);
  });
});
