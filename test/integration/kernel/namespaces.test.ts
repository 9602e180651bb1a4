import { execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import {
  KernelClosedError,
  KernelExistsError,
  KernelInvalidArgumentError,
  KernelNotFoundError,
  currentNamespaceId,
  findNamespaceById,
  inodeUrlOf,
  namespaceIdOf,
  parseInodeUrl,
  createKernel,
  runInNetns,
  type NamespaceId,
} from '../../../sdk/kernel/index.js';
import { execIn, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

/** The namespace of a just-spawned process, once it differs from ours (it unshares right after start). */
async function namespaceOfProcessOnceMoved(path: string): Promise<NamespaceId> {
  const own = currentNamespaceId();
  for (;;) {
    try {
      const id = namespaceIdOf(path);
      if (id.ino !== own.ino) return id;
    } catch {
      // not started yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

skipUnlessRoot('kernel namespace tests', ['unshare'])('named network namespaces', () => {
  const sandbox = useNetnsSandbox('kns');

  it('creates a namespace that iproute2 lists and can enter, with only lo', () => {
    const info = sandbox.create('a');
    expect(info.name).toBe(sandbox.name('a'));
    expect(info.path).toBe(`/run/netns/${sandbox.name('a')}`);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(sandbox.name('a'));
    expect(sandbox.kernel.listNamespaces()).toContain(sandbox.name('a'));
    expect(sandbox.kernel.namespaceExists(sandbox.name('a'))).toBe(true);
    const links = execIn(sandbox.name('a'), 'ip', '-o', 'link');
    expect(links.status).toBe(0);
    expect(links.output.trim().split('\n')).toHaveLength(1);
    expect(links.output).toContain('lo:');
  });

  it('gives each namespace its own identity, different from the current one', () => {
    const a = sandbox.create('a');
    const b = sandbox.create('b');
    expect(a.id).not.toEqual(b.id);
    expect(a.id).not.toEqual(currentNamespaceId());
    const { dev, ino } = statSync(a.path);
    expect(a.inodeUrl).toBe(`inode://${dev}/${ino}`);
    expect(parseInodeUrl(a.inodeUrl)).toEqual(a.id);
    expect(inodeUrlOf(namespaceIdOf(a.path))).toBe(a.inodeUrl);
  });

  it('fails to create an existing namespace unless existOk, naming it', () => {
    const a = sandbox.create('a');
    const again = (): unknown => sandbox.kernel.createNamespace(sandbox.name('a'));
    expect(again).toThrow(KernelExistsError);
    expect(again).toThrow(`network namespace '${sandbox.name('a')}'`);
    expect(sandbox.kernel.createNamespace(sandbox.name('a'), { existOk: true }).id).toEqual(a.id);
  });

  it('deletes a namespace, and deleting it again returns false', () => {
    sandbox.create('a');
    expect(sandbox.kernel.deleteNamespace(sandbox.name('a'))).toBe(true);
    expect(sandbox.kernel.namespaceExists(sandbox.name('a'))).toBe(false);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(sandbox.name('a'));
    expect(sandbox.kernel.deleteNamespace(sandbox.name('a'))).toBe(false);
  });

  it('rejects names that are not plain file names', () => {
    for (const bad of ['', '.', '..', 'a/b']) {
      expect(() => sandbox.kernel.createNamespace(bad)).toThrow(KernelInvalidArgumentError);
    }
  });

  it('opening a missing namespace is a NotFound error naming it', () => {
    const open = (): unknown => sandbox.kernel.netns(sandbox.name('missing'));
    expect(open).toThrow(KernelNotFoundError);
    expect(open).toThrow(`network namespace '${sandbox.name('missing')}'`);
  });

  it('runs code inside a namespace and always returns to the original one, also when the code throws', () => {
    const a = sandbox.create('a');
    const before = currentNamespaceId();
    expect(runInNetns(a.path, a.name, () => currentNamespaceId())).toEqual(a.id);
    expect(currentNamespaceId()).toEqual(before);
    expect(() =>
      runInNetns(a.path, a.name, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(currentNamespaceId()).toEqual(before);
    expect(() => runInNetns(a.path, a.name, async () => currentNamespaceId())).toThrow('must be synchronous');
    expect(currentNamespaceId()).toEqual(before);
  });

  it('finds a named namespace by inode in /run/netns', async () => {
    const a = sandbox.create('a');
    sandbox.create('b');
    await expect(findNamespaceById(a.id)).resolves.toEqual({ path: a.path, name: a.name });
    await expect(sandbox.kernel.findNamespace(a.inodeUrl)).resolves.toEqual({ path: a.path, name: a.name });
  });

  it('finds an unnamed namespace through /proc/<pid>/ns/net of a process inside it, and works in it', async () => {
    // `unshare -n` moves itself into a fresh namespace without a /run/netns name, then execs sleep.
    const child = spawn('unshare', ['-n', 'sleep', '30'], { stdio: 'ignore' });
    try {
      const path = `/proc/${child.pid}/ns/net`;
      const id = await namespaceOfProcessOnceMoved(path);
      const found = await findNamespaceById(id);
      expect(found).toEqual({ path, pid: child.pid });
      const handle = sandbox.kernel.netnsAt(path);
      expect(handle.inodeUrl).toBe(inodeUrlOf(id));
      await handle.links.createVeth({ name: 'u0', peer: { name: 'u1' } });
      expect((await handle.links.list()).map((link) => link.name).sort()).toEqual(['lo', 'u0', 'u1']);
      handle.close();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('gives a handle on the current namespace without changing it', async () => {
    const current = sandbox.kernel.current();
    expect(current.id).toEqual(currentNamespaceId());
    expect((await current.links.list()).map((link) => link.name)).toContain('lo');
  });

  it('refuses handles after the kernel layer is closed', () => {
    const a = sandbox.create('a');
    const kernel = createKernel();
    kernel.netns(a.name);
    kernel.close();
    expect(() => kernel.netns(a.name)).toThrow(KernelClosedError);
  });

  it('returns undefined for an identity that no namespace has, and rejects malformed URLs', async () => {
    await expect(findNamespaceById({ dev: 1, ino: 1 })).resolves.toBeUndefined();
    expect(() => parseInodeUrl('file:///proc/self/ns/net')).toThrow(KernelInvalidArgumentError);
    expect(() => parseInodeUrl('inode://4/x')).toThrow('inode://<device>/<inode>');
  });
});
