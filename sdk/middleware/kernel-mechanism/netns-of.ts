import { currentNamespaceId, inodeUrlOf, namespaceInfo } from '../../kernel/index.js';

/**
 * The `inode://<dev>/<ino>` URL of the named network namespace (/run/netns/<name>), or of the calling
 * thread's namespace when no name is given. A missing named namespace is a KernelNotFoundError.
 */
export function netnsInodeUrl(netns: string | undefined): string {
  return netns === undefined ? inodeUrlOf(currentNamespaceId()) : namespaceInfo(netns).inodeUrl;
}
