/**
 * Naming another namespace as the destination of a link (a veth peer, a link being moved): by its
 * /run/netns name, or by any object with the path of a file that pins it (a NetnsHandle, a resolver
 * result such as /proc/<pid>/ns/net).
 */
import { closeSync, openSync } from 'node:fs';
import { kernelError } from './errors.js';
import { namespacePath } from './namespace-names.js';

export type NamespaceTarget = string | { readonly path: string; readonly label?: string };

export interface ResolvedTarget {
  readonly path: string;
  readonly label: string;
}

export function resolveTarget(target: NamespaceTarget): ResolvedTarget {
  if (typeof target === 'string') return { path: namespacePath(target), label: target };
  return { path: target.path, label: target.label ?? target.path };
}

/** Opens an fd on the target namespace for the duration of `use` (the kernel takes its own reference). */
export async function withNamespaceFd<T>(
  target: ResolvedTarget,
  action: string,
  namespace: string,
  use: (fd: number) => Promise<T>,
): Promise<T> {
  let fd: number;
  try {
    fd = openSync(target.path, 'r');
  } catch (error) {
    throw kernelError(
      error,
      `${action}: open network namespace '${target.label}' (${target.path})`,
      namespace,
    );
  }
  try {
    return await use(fd);
  } finally {
    closeSync(fd);
  }
}
