/** Interface names as the kernel accepts them (IFNAMSIZ 16 with the terminating NUL). */
import { KernelInvalidArgumentError } from './errors.js';

export const MAX_INTERFACE_NAME_LENGTH = 15;

/** A link by name or by index. */
export type LinkRef = string | number;

/** Throws an InvalidArgument naming the namespace when `name` cannot be an interface name. */
export function checkInterfaceName(name: string, namespace: string): string {
  const bad =
    name.length === 0 ||
    name.length > MAX_INTERFACE_NAME_LENGTH ||
    name === '.' ||
    name === '..' ||
    /[\s/:\0]/.test(name);
  if (bad) {
    throw new KernelInvalidArgumentError(
      `"${name}" is not a valid interface name in network namespace '${namespace}': use 1 to ` +
        `${MAX_INTERFACE_NAME_LENGTH} characters without spaces, "/" or ":".`,
      { namespace },
    );
  }
  return name;
}

/** How a link is named in messages: `'eth0'` or `index 7`. */
export function describeLink(ref: LinkRef): string {
  return typeof ref === 'number' ? `link index ${ref}` : `link '${ref}'`;
}
