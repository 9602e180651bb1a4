/**
 * The kernel layer's entry point: named namespaces (create, delete, list) and handles that work inside
 * one namespace, one cached handle (one netlink socket) per namespace file. A cached handle is reused
 * only while its file still pins the same namespace; deleting a namespace through this object closes its
 * handle first, so the socket does not keep the deleted namespace alive. `close()` closes every handle.
 */
import type { Logger } from '../log/index.js';
import { KernelClosedError } from './errors.js';
import {
  findNamespaceById,
  parseInodeUrl,
  sameNamespace,
  namespaceIdOf,
  type NamespaceId,
  type NamespaceLocation,
} from './namespace-identity.js';
import { namespacePath } from './namespace-names.js';
import {
  createNamespace,
  deleteNamespace,
  listNamespaces,
  namespaceExists,
  namespaceInfo,
  type CreateNamespaceOptions,
  type NamespaceInfo,
} from './namespaces.js';
import { NetnsHandle } from './netns-handle.js';

export interface KernelOptions {
  /** Receives socket-level warnings; nothing is logged per operation. */
  logger?: Logger;
}

/** The process's own namespace (its main thread's), for `Kernel.current()`. */
const PROCESS_NETNS_PATH = '/proc/self/ns/net';

export class Kernel {
  private readonly handles = new Map<string, NetnsHandle>();
  private closed = false;

  constructor(private readonly options: KernelOptions = {}) {}

  /** Creates the named namespace (see namespaces.ts); removed by `deleteNamespace`. */
  createNamespace(name: string, options?: CreateNamespaceOptions): NamespaceInfo {
    return createNamespace(name, options);
  }

  /** Closes the cached handle of `name`, then deletes the namespace. False when it did not exist. */
  deleteNamespace(name: string): boolean {
    const path = namespacePath(name);
    const id = namespaceExists(name) ? namespaceIdOf(path) : undefined;
    for (const [key, handle] of this.handles) {
      if (key === path || (id !== undefined && sameNamespace(handle.id, id))) {
        handle.close();
        this.handles.delete(key);
      }
    }
    return deleteNamespace(name);
  }

  listNamespaces(): string[] {
    return listNamespaces();
  }

  namespaceExists(name: string): boolean {
    return namespaceExists(name);
  }

  namespaceInfo(name: string): NamespaceInfo {
    return namespaceInfo(name);
  }

  /** The handle on the named namespace (KernelNotFoundError when it does not exist). */
  netns(name: string): NetnsHandle {
    const info = namespaceInfo(name);
    return this.handleAt(info.path, name, info.id);
  }

  /** The handle on the namespace pinned at `path` (e.g. /proc/<pid>/ns/net from `findNamespace`). */
  netnsAt(path: string, label: string = path): NetnsHandle {
    return this.handleAt(path, label, namespaceIdOf(path));
  }

  /** The handle on this process's own namespace. */
  current(): NetnsHandle {
    return this.netnsAt(PROCESS_NETNS_PATH, 'current');
  }

  /** Where the namespace with this identity (or `inode://dev/ino`) is pinned, if anywhere visible. */
  findNamespace(id: NamespaceId | string): Promise<NamespaceLocation | undefined> {
    return findNamespaceById(typeof id === 'string' ? parseInodeUrl(id) : id);
  }

  /** Closes every handle; the layer cannot be used afterwards. Namespaces stay. */
  close(): void {
    this.closed = true;
    for (const handle of this.handles.values()) handle.close();
    this.handles.clear();
  }

  private handleAt(path: string, label: string, id: NamespaceId): NetnsHandle {
    if (this.closed)
      throw new KernelClosedError(`Cannot open network namespace '${label}': the kernel layer was closed.`, {
        namespace: label,
      });
    const cached = this.handles.get(path);
    if (cached !== undefined && !cached.closed && sameNamespace(cached.id, id)) return cached;
    cached?.close();
    const handle = new NetnsHandle(path, label, this.options.logger);
    this.handles.set(path, handle);
    return handle;
  }
}

export function createKernel(options: KernelOptions = {}): Kernel {
  return new Kernel(options);
}
