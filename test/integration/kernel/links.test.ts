import {
  KernelBusyError,
  KernelClosedError,
  KernelExistsError,
  KernelInvalidArgumentError,
  KernelNotFoundError,
  KernelUnsupportedError,
} from '../../../sdk/kernel/index.js';
import { ip, ipJson, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  master?: string;
  link?: string;
  link_netnsid?: number;
  linkinfo?: { info_kind: string };
}

function ipLink(namespace: string, name: string): IpLink {
  return ipJson<IpLink[]>(namespace, '-d', 'link', 'show', 'dev', name)[0];
}

skipUnlessRoot('kernel link tests')('links', () => {
  const sandbox = useNetnsSandbox('kln');

  it('creates a veth pair in one namespace; deleting one end removes both', async () => {
    const a = sandbox.create('a');
    const links = sandbox.kernel.netns(a.name).links;
    const end = await links.createVeth({ name: 'v0', peer: { name: 'v1' } });
    const peer = await links.get('v1');
    expect(end).toMatchObject({ name: 'v0', kind: 'veth', up: false, peerIndex: peer.index });
    expect(peer).toMatchObject({ kind: 'veth', peerIndex: end.index });
    expect(ipLink(a.name, 'v0')).toMatchObject({
      ifindex: end.index,
      linkinfo: { info_kind: 'veth' },
      link: 'v1',
    });
    expect((await links.list()).map((link) => link.name).sort()).toEqual(['lo', 'v0', 'v1']);

    expect(await links.delete('v1')).toBe(true);
    expect(await links.find('v0')).toBeUndefined();
    expect(ip(a.name, '-o', 'link').trim().split('\n')).toHaveLength(1);
    expect(await links.delete('v1')).toBe(false);
  });

  it('creates the peer directly in another namespace, with MTU and MAC, and brings both ends up', async () => {
    const a = sandbox.create('a');
    const b = sandbox.create('b');
    const end = await sandbox.kernel.netns(a.name).links.createVeth({
      name: 'to-b',
      mtu: 1400,
      mac: '02:00:00:00:00:0a',
      up: true,
      peer: { name: 'to-a', namespace: b.name, mtu: 1400, mac: '02:00:00:00:00:0b' },
    });
    expect(end).toMatchObject({ mtu: 1400, mac: '02:00:00:00:00:0a', up: true, lowerUp: false });
    await sandbox.kernel.netns(b.name).links.setUp('to-a');
    const peer = await sandbox.kernel.netns(b.name).links.get('to-a');
    expect(peer).toMatchObject({ mtu: 1400, mac: '02:00:00:00:00:0b', up: true, lowerUp: true });
    expect(ipLink(b.name, 'to-a')).toMatchObject({ mtu: 1400, address: '02:00:00:00:00:0b' });
    expect(ipLink(b.name, 'to-a').flags).toContain('UP');
    expect(ipLink(a.name, 'to-b').link_netnsid).toBeDefined();
    expect(await sandbox.kernel.netns(a.name).links.find('to-a')).toBeUndefined();
  });

  it('creates a bridge, attaches and releases a port, and deletes the bridge', async () => {
    const a = sandbox.create('a');
    const links = sandbox.kernel.netns(a.name).links;
    const bridge = await links.createBridge('br0', { up: true });
    expect(bridge).toMatchObject({ name: 'br0', kind: 'bridge', up: true });
    expect(await links.createBridge('br0', { existOk: true })).toMatchObject({ index: bridge.index });
    await expect(links.createBridge('br0')).rejects.toThrow(KernelExistsError);

    await links.createVeth({ name: 'port0', peer: { name: 'port0p' } });
    await links.setMaster('port0', 'br0');
    expect(await links.get('port0')).toMatchObject({ masterIndex: bridge.index });
    expect(ipLink(a.name, 'port0').master).toBe('br0');

    await links.setNoMaster('port0');
    expect((await links.get('port0')).masterIndex).toBeUndefined();
    expect(ipLink(a.name, 'port0').master).toBeUndefined();

    await links.setMaster('port0', bridge.index);
    expect(await links.delete('br0')).toBe(true);
    expect((await links.get('port0')).masterIndex).toBeUndefined();
  });

  it('moves a link to another namespace', async () => {
    const a = sandbox.create('a');
    const b = sandbox.create('b');
    await sandbox.kernel.netns(a.name).links.createVeth({ name: 'mv0', peer: { name: 'mv1' } });
    await sandbox.kernel.netns(a.name).links.moveTo('mv1', b.name);
    expect(await sandbox.kernel.netns(a.name).links.find('mv1')).toBeUndefined();
    expect(await sandbox.kernel.netns(b.name).links.get('mv1')).toMatchObject({ kind: 'veth' });
    expect(ipLink(b.name, 'mv1').ifname).toBe('mv1');
  });

  it('renames a link, also while it is up, and refuses a taken name', async () => {
    const a = sandbox.create('a');
    const links = sandbox.kernel.netns(a.name).links;
    const created = await links.createVeth({ name: 'old0', peer: { name: 'old1' } });
    await links.rename('old0', 'new0');
    expect(await links.get(created.index)).toMatchObject({ name: 'new0' });
    expect(ipLink(a.name, 'new0').ifindex).toBe(created.index);
    await links.setUp('new0');
    await links.rename(created.index, 'newer0');
    expect(ipLink(a.name, 'newer0').ifindex).toBe(created.index);
    await expect(links.rename('newer0', 'old1')).rejects.toThrow(KernelExistsError);
  });

  it('refuses to enslave a link that is busy (it carries a macvlan) with a Busy error', async () => {
    const a = sandbox.create('a');
    const links = sandbox.kernel.netns(a.name).links;
    await links.createBridge('br0');
    await links.createVeth({ name: 'low0', peer: { name: 'low1' } });
    ip(a.name, 'link', 'add', 'mv0', 'link', 'low0', 'type', 'macvlan', 'mode', 'bridge');
    const enslaving = links.setMaster('low0', 'br0');
    await expect(enslaving).rejects.toThrow(KernelBusyError);
    await expect(links.setMaster('low0', 'br0')).rejects.toThrow(
      `Cannot attach link 'low0' to link 'br0' in network namespace '${a.name}': the object is busy`,
    );
  });

  it('sets up/down, MTU and MAC', async () => {
    const a = sandbox.create('a');
    const links = sandbox.kernel.netns(a.name).links;
    await links.createVeth({ name: 'x0', peer: { name: 'x1' } });
    await links.setUp('x0');
    await links.setUp('x1');
    expect(await links.get('x0')).toMatchObject({ up: true, lowerUp: true });
    expect(ipLink(a.name, 'x0').flags).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
    await links.setDown('x1');
    expect(await links.get('x0')).toMatchObject({ up: true, lowerUp: false });
    expect(ipLink(a.name, 'x1').flags).not.toContain('UP');

    await links.setMtu('x0', 9000);
    expect((await links.get('x0')).mtu).toBe(9000);
    expect(ipLink(a.name, 'x0').mtu).toBe(9000);
    await links.setMac('x0', '02:11:22:33:44:55');
    expect((await links.get('x0')).mac).toBe('02:11:22:33:44:55');
    expect(ipLink(a.name, 'x0').address).toBe('02:11:22:33:44:55');
  });

  it('gives typed errors that name the link and the namespace', async () => {
    const a = sandbox.create('a');
    const links = sandbox.kernel.netns(a.name).links;
    await links.createVeth({ name: 'dup0', peer: { name: 'dup1' } });

    const duplicate = links.createVeth({ name: 'dup0', peer: { name: 'other' } });
    await expect(duplicate).rejects.toThrow(KernelExistsError);
    await expect(links.createVeth({ name: 'dup0', peer: { name: 'other' } })).rejects.toThrow(
      `Cannot create veth link 'dup0' with peer 'other' in network namespace '${a.name}': it already exists (EEXIST).`,
    );
    await expect(links.get('nothere')).rejects.toThrow(KernelNotFoundError);
    await expect(links.get('nothere')).rejects.toThrow(`link 'nothere' in network namespace '${a.name}'`);
    await expect(links.setUp(4242)).rejects.toThrow(KernelNotFoundError);
    await expect(links.createVeth({ name: 'sixteen-chars-xx', peer: { name: 'p' } })).rejects.toThrow(
      KernelInvalidArgumentError,
    );
    await expect(links.setMtu('dup0', 10)).rejects.toThrow(KernelInvalidArgumentError);
    await expect(links.setMac('dup0', 'zz')).rejects.toThrow(KernelInvalidArgumentError);
    await expect(
      links.createVeth({ name: 'p0', peer: { name: 'p1', namespace: sandbox.name('nope') } }),
    ).rejects.toThrow(`network namespace '${sandbox.name('nope')}'`);
  });

  it('reports an unknown link kind as unsupported', async () => {
    const a = sandbox.create('a');
    const handle = sandbox.kernel.netns(a.name);
    // 802.1Q is not built into this kernel (KERNEL.md §1); any unknown kind behaves the same.
    const unknown = handle.request('create link of kind nosuchkind', (socket) =>
      socket.newLink(
        {},
        { ifname: 'k0', linkinfo: Buffer.from([16, 0, 1, 0, ...Buffer.from('nosuchkind\0\0')]) },
        { flags: 0x600 },
      ),
    );
    await expect(unknown).rejects.toThrow(KernelUnsupportedError);
  });

  it('runs concurrent requests on one handle, dumps among them, without mixing their replies', async () => {
    const a = sandbox.create('a');
    const links = sandbox.kernel.netns(a.name).links;
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      work.push(links.createVeth({ name: `c${i}a`, peer: { name: `c${i}b` } }));
      work.push(links.list());
    }
    await Promise.all(work);
    expect((await links.list()).length).toBe(41);
  });

  it('a closed handle fails with a clear error, and the kernel hands out a fresh one', async () => {
    const a = sandbox.create('a');
    const handle = sandbox.kernel.netns(a.name);
    expect(sandbox.kernel.netns(a.name)).toBe(handle);
    handle.close();
    await expect(handle.links.list()).rejects.toThrow(KernelClosedError);
    await expect(handle.links.list()).rejects.toThrow(`network namespace '${a.name}'`);
    const fresh = sandbox.kernel.netns(a.name);
    expect(fresh).not.toBe(handle);
    expect((await fresh.links.list()).map((link) => link.name)).toEqual(['lo']);
  });

  it('a handle follows a namespace that was deleted and created again under the same name', async () => {
    sandbox.create('a');
    const first = sandbox.kernel.netns(sandbox.name('a'));
    await first.links.createVeth({ name: 'gone0', peer: { name: 'gone1' } });
    sandbox.kernel.deleteNamespace(sandbox.name('a'));
    expect(first.closed).toBe(true);
    sandbox.create('a');
    const second = sandbox.kernel.netns(sandbox.name('a'));
    expect(second.id).not.toEqual(first.id);
    expect(await second.links.find('gone0')).toBeUndefined();
  });
});
