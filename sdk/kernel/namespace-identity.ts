/**
 * The identity of a network namespace: the (device, inode) of its nsfs file, written as
 * `inode://<dev>/<ino>` (the NSM kernel mechanism's `inodeURL`), and the reverse lookup the kernel
 * forwarder needs: which file on this host pins the namespace with a given identity.
 */
import { readdir, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { KernelInvalidArgumentError, namespaceError } from './errors.js';
import { NETNS_RUN_DIR } from './namespace-names.js';
import { THREAD_NETNS_PATH } from './thread-netns.js';

export interface NamespaceId {
  readonly dev: number;
  readonly ino: number;
}

/** Where a namespace with a given identity was found: a named namespace, or a process's namespace. */
export interface NamespaceLocation {
  readonly path: string;
  /** The /run/netns name when the namespace is named. */
  readonly name?: string;
  /** The process id when found under /proc. */
  readonly pid?: number;
}

/** The identity of the namespace pinned at `path` (a /run/netns file or /proc/<pid>/ns/net). */
export function namespaceIdOf(path: string): NamespaceId {
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch (error) {
    throw namespaceError(error, 'identify', path);
  }
}

/** The identity of the calling thread's namespace. */
export function currentNamespaceId(): NamespaceId {
  return namespaceIdOf(THREAD_NETNS_PATH);
}

export function inodeUrlOf(id: NamespaceId): string {
  return `inode://${id.dev}/${id.ino}`;
}

export function sameNamespace(a: NamespaceId, b: NamespaceId): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Parses `inode://<dev>/<ino>`; anything else is an invalid argument. */
export function parseInodeUrl(url: string): NamespaceId {
  const match = /^inode:\/\/(\d+)\/(\d+)$/.exec(url);
  if (!match) {
    throw new KernelInvalidArgumentError(
      `"${url}" is not a network namespace inode URL: write inode://<device>/<inode> with decimal numbers.`,
      { namespace: url },
    );
  }
  return { dev: Number(match[1]), ino: Number(match[2]) };
}

/**
 * Finds a file that pins the namespace `id`: first the named namespaces in /run/netns, then every
 * process's /proc/<pid>/ns/net (threads that moved on their own are not scanned). Files that vanish or
 * cannot be read while scanning are skipped. Undefined when no such namespace is visible.
 */
export async function findNamespaceById(id: NamespaceId): Promise<NamespaceLocation | undefined> {
  for (const name of await entries(NETNS_RUN_DIR)) {
    const path = `${NETNS_RUN_DIR}/${name}`;
    if (await hasId(path, id)) return { path, name };
  }
  const pids = (await entries('/proc')).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    const path = `/proc/${pid}/ns/net`;
    if (await hasId(path, id)) return { path, pid: Number(pid) };
  }
  return undefined;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function hasId(path: string, id: NamespaceId): Promise<boolean> {
  try {
    const found = await stat(path);
    return found.dev === id.dev && found.ino === id.ino;
  } catch {
    return false;
  }
}
