import { type NamespaceId } from '../../kernel/index.js';
import { InvalidKernelMechanismError } from './errors.js';

/** A network namespace URL a KERNEL mechanism may carry, parsed. */
export type NetnsUrl =
  | { readonly kind: 'inode'; readonly url: string; readonly id: NamespaceId }
  | { readonly kind: 'file'; readonly url: string; readonly path: string };

/**
 * `/proc/self/…` and `/proc/thread-self/…` name whoever opens them: sent to a forwarder, they would
 * resolve to the forwarder's own namespace and put the client's interface there.
 */
const SELF_REFERENCE = /^\/proc\/(self|thread-self)(\/|$)/;

/**
 * Parses the `inodeURL` of a KERNEL mechanism: `inode://<dev>/<ino>` (what clients send, since grpc-js
 * cannot pass the namespace's file descriptor as upstream does), or `file://<absolute path>` of a file
 * that pins a namespace (`/run/netns/<name>`, `/proc/<pid>/ns/net`). Anything else, and a `file://` URL
 * through `/proc/self` or `/proc/thread-self`, is an invalid argument.
 */
export function parseNetnsUrl(url: string): NetnsUrl {
  if (url === '') {
    throw new InvalidKernelMechanismError(
      'the KERNEL mechanism has no inodeURL parameter: set it to inode://<device>/<inode> of the network namespace the interface goes into',
    );
  }
  const inode = /^inode:\/\/(\d+)\/(\d+)$/.exec(url);
  if (inode) return { kind: 'inode', url, id: { dev: Number(inode[1]), ino: Number(inode[2]) } };
  if (url.startsWith('file://')) {
    const path = url.slice('file://'.length);
    if (!path.startsWith('/') || path.includes('\0')) {
      throw new InvalidKernelMechanismError(
        `the KERNEL mechanism's inodeURL "${url}" is not a file URL with an absolute path: write file:///run/netns/<name> or inode://<device>/<inode>`,
      );
    }
    if (SELF_REFERENCE.test(path)) {
      throw new InvalidKernelMechanismError(
        `the KERNEL mechanism's inodeURL "${url}" names the namespace of whoever opens it, so the forwarder would resolve it to its own namespace: send inode://<device>/<inode> of the client's namespace instead`,
      );
    }
    return { kind: 'file', url, path };
  }
  throw new InvalidKernelMechanismError(
    `the KERNEL mechanism's inodeURL "${url}" is neither inode://<device>/<inode> nor file:///<path>`,
  );
}
