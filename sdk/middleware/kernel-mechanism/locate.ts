import { NotFoundError } from '../../core/index.js';
import { findNamespaceById, namespaceIdOf, type NamespaceId } from '../../kernel/index.js';
import type { NetnsUrl } from './netns-url.js';

/** Where a namespace named by a KERNEL mechanism is pinned on this host. */
export interface LocatedNetns {
  /** A file that pins it (/run/netns/<name> or /proc/<pid>/ns/net), to open handles on. */
  readonly path: string;
  /** How to name it in messages and logs: its /run/netns name, or the path. */
  readonly label: string;
  readonly id: NamespaceId;
}

/**
 * Finds the namespace a KERNEL mechanism's URL names: for `inode://`, by scanning /run/netns and every
 * /proc/<pid>/ns/net for that identity (what upstream's fd passing does, without SCM_RIGHTS); for
 * `file://`, the file itself. A namespace that is not there is a NotFoundError naming the URL.
 */
export async function locateNetns(netns: NetnsUrl): Promise<LocatedNetns> {
  if (netns.kind === 'file') {
    let id: NamespaceId;
    try {
      id = namespaceIdOf(netns.path);
    } catch (error) {
      throw new NotFoundError(
        `the network namespace file ${netns.path} (from inodeURL "${netns.url}") does not exist on this host`,
        { cause: error },
      );
    }
    return { path: netns.path, label: netns.path, id };
  }
  const found = await findNamespaceById(netns.id);
  if (found === undefined) {
    throw new NotFoundError(
      `no network namespace with inodeURL "${netns.url}" exists on this host (searched /run/netns and /proc/*/ns/net)`,
    );
  }
  return { path: found.path, label: found.name ?? found.path, id: netns.id };
}
