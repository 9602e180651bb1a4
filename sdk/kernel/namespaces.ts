/**
 * Named network namespaces, made the way `ip netns add` makes them so that iproute2 and every other
 * tool see them: an empty file /run/netns/<name> onto which a new namespace is bind-mounted, with
 * /run/netns itself a shared mount so the binding propagates into other mount namespaces. The new
 * namespace is made by `unshare` on the calling thread (see thread-netns.ts), so no process is started.
 * A namespace created here is removed by `deleteNamespace` (unmount + unlink); processes and sockets
 * still inside it keep it alive until they end.
 */
import { closeSync, mkdirSync, openSync, readdirSync, statfsSync, unlinkSync } from 'node:fs';
import { KernelExistsError, errnoFailure, namespaceError } from './errors.js';
import { MNT_DETACH, MS_BIND, MS_REC, MS_SHARED, mount, umount2 } from './libc.js';
import { inodeUrlOf, namespaceIdOf, type NamespaceId } from './namespace-identity.js';
import { NETNS_RUN_DIR, namespacePath } from './namespace-names.js';
import { THREAD_NETNS_PATH, runInNewNetns } from './thread-netns.js';

const NSFS_MAGIC = 0x6e736673;

export interface NamespaceInfo {
  readonly name: string;
  /** The file that pins it, to pass to `ip netns exec`, setns or IFLA_NET_NS_FD. */
  readonly path: string;
  readonly id: NamespaceId;
  /** `inode://<dev>/<ino>`, the form the NSM kernel mechanism carries. */
  readonly inodeUrl: string;
}

export interface CreateNamespaceOptions {
  /** Return the existing namespace instead of failing with KernelExistsError (default false). */
  existOk?: boolean;
}

/**
 * Creates the named network namespace `name` (only `lo`, down). Throws KernelExistsError when it exists,
 * unless `existOk`. Removed by `deleteNamespace(name)`.
 */
export function createNamespace(name: string, options: CreateNamespaceOptions = {}): NamespaceInfo {
  const path = namespacePath(name);
  prepareRunDir(name);
  if (isNamespaceFile(path)) {
    if (options.existOk) return namespaceInfo(name, path);
    throw new KernelExistsError(`Cannot create network namespace '${name}': it already exists.`, {
      namespace: name,
      errno: 'EEXIST',
    });
  }
  createMountPoint(name, path);
  try {
    runInNewNetns(name, () => {
      const failed = mount(THREAD_NETNS_PATH, path, 'none', MS_BIND);
      if (failed !== undefined)
        throw namespaceError(errnoFailure(failed), 'create', name, ` (bind mount onto ${path})`);
    });
  } catch (error) {
    removeFile(path);
    throw error;
  }
  return namespaceInfo(name, path);
}

/**
 * Deletes the named namespace: unmounts and removes /run/netns/<name>. Returns false when there was no
 * such namespace (deleting twice is safe). Links inside go away with the namespace once nothing else
 * (a process, an open socket) holds it; veth peers in other namespaces go with them.
 */
export function deleteNamespace(name: string): boolean {
  const path = namespacePath(name);
  const failed = umount2(path, MNT_DETACH);
  if (failed !== undefined && failed !== 'EINVAL' && failed !== 'ENOENT') {
    throw namespaceError(errnoFailure(failed), 'delete', name, ` (unmount ${path})`);
  }
  return removeFile(path);
}

/** The names in /run/netns, sorted (like `ip netns list`). */
export function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw namespaceError(error, 'list', NETNS_RUN_DIR);
  }
}

/** True when /run/netns/<name> exists and a namespace is mounted on it. */
export function namespaceExists(name: string): boolean {
  return isNamespaceFile(namespacePath(name));
}

/** The identity and path of the existing named namespace `name` (KernelNotFoundError otherwise). */
export function namespaceInfo(name: string, path = namespacePath(name)): NamespaceInfo {
  if (!isNamespaceFile(path)) throw namespaceError(errnoFailure('ENOENT'), 'find', name);
  const id = namespaceIdOf(path);
  return { name, path, id, inodeUrl: inodeUrlOf(id) };
}

function isNamespaceFile(path: string): boolean {
  try {
    return statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

/** What `ip netns add` does first: /run/netns exists and is a shared mount (bound onto itself if needed). */
function prepareRunDir(name: string): void {
  try {
    mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw namespaceError(error, 'create', name, ` (mkdir ${NETNS_RUN_DIR})`);
  }
  if (mount('none', NETNS_RUN_DIR, null, MS_SHARED | MS_REC) === undefined) return;
  const bound = mount(NETNS_RUN_DIR, NETNS_RUN_DIR, 'none', MS_BIND | MS_REC);
  const shared = bound ?? mount('none', NETNS_RUN_DIR, null, MS_SHARED | MS_REC);
  if (shared !== undefined)
    throw namespaceError(errnoFailure(shared), 'create', name, ` (make ${NETNS_RUN_DIR} a shared mount)`);
}

/** The empty file to mount onto; a leftover plain file (from an interrupted create) is reused. */
function createMountPoint(name: string, path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o444));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw namespaceError(error, 'create', name, ` (create ${path})`);
  }
}

function removeFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw namespaceError(error, 'delete', path, ` (remove ${path})`);
  }
}
