/**
 * Handles on the namespaces the forwarder works in, one per namespace (by identity), shared by the
 * connections that use it and closed with the last of them: a handle's socket keeps its namespace
 * alive, so one kept after its last connection would keep a deleted pod's namespace (and the veth end
 * inside it) around.
 */
import { type NamespaceId, NetnsHandle, sameNamespace } from '../../../sdk/kernel/index.js';
import { locateNetns, type NetnsUrl } from '../../../sdk/middleware/kernel-mechanism/index.js';

/** A connection's use of one namespace handle; `release` once when done. */
export interface NamespaceLease {
  readonly handle: NetnsHandle;
  /** The URL it was asked for with. */
  readonly url: string;
  release(): void;
}

interface Entry {
  readonly handle: NetnsHandle;
  users: number;
}

function keyOf(id: NamespaceId): string {
  return `${id.dev}/${id.ino}`;
}

export class NamespaceHandles {
  private readonly entries = new Map<string, Entry>();
  private readonly opening = new Map<string, Promise<Entry>>();

  /**
   * A lease on the namespace `netns` names; NotFoundError when no such namespace is visible. A namespace
   * with an open handle is not searched for again: the handle pins it, so its identity cannot have
   * passed to another namespace meanwhile.
   */
  async acquire(netns: NetnsUrl): Promise<NamespaceLease> {
    const known = netns.kind === 'inode' ? this.entries.get(keyOf(netns.id)) : undefined;
    let entry = known !== undefined && !known.handle.closed ? known : undefined;
    if (entry === undefined) {
      const located = await locateNetns(netns);
      const key = keyOf(located.id);
      entry = this.entries.get(key);
      if (entry === undefined || entry.handle.closed || !sameNamespace(entry.handle.id, located.id)) {
        let pending = this.opening.get(key);
        if (pending === undefined) {
          pending = Promise.resolve().then(() => {
            const opened: Entry = { handle: new NetnsHandle(located.path, located.label), users: 0 };
            this.entries.set(key, opened);
            return opened;
          });
          this.opening.set(key, pending);
          void pending.finally(() => this.opening.delete(key)).catch(() => undefined);
        }
        entry = await pending;
      }
    }
    const key = keyOf(entry.handle.id);
    const held = entry;
    held.users += 1;
    let released = false;
    return {
      handle: held.handle,
      url: netns.url,
      release: () => {
        if (released) return;
        released = true;
        held.users -= 1;
        if (held.users === 0 && this.entries.get(key) === held) {
          held.handle.close();
          this.entries.delete(key);
        }
      },
    };
  }

  /** Namespaces with open handles. */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every handle (the namespaces and their links stay). */
  close(): void {
    for (const entry of this.entries.values()) entry.handle.close();
    this.entries.clear();
  }
}
