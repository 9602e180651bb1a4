/** Where named network namespaces live (the `ip netns` convention) and what a valid name is. */
import { KernelInvalidArgumentError } from './errors.js';

export const NETNS_RUN_DIR = '/run/netns';

/** The /run/netns path of the namespace `name`, after checking that the name is a plain file name. */
export function namespacePath(name: string): string {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\0') ||
    name.length > 255
  ) {
    throw new KernelInvalidArgumentError(
      `"${name}" is not a valid network namespace name: use 1 to 255 characters without "/", and not "." or "..".`,
      { namespace: name },
    );
  }
  return `${NETNS_RUN_DIR}/${name}`;
}
