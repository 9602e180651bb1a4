import { MAX_INTERFACE_NAME_LENGTH } from '../../kernel/index.js';
import { InvalidKernelMechanismError } from './errors.js';

/**
 * Checks an interface name the way the kernel will (IFNAMSIZ): 1 to 15 characters, no whitespace,
 * "/" or ":", not "." or "..". `whose` says whose interface it is, for the message.
 */
export function validateInterfaceName(name: string, whose: string): string {
  if (name.length > MAX_INTERFACE_NAME_LENGTH) {
    throw new InvalidKernelMechanismError(
      `the ${whose} interface name "${name}" is ${name.length} characters long; Linux allows at most ${MAX_INTERFACE_NAME_LENGTH}`,
    );
  }
  if (name === '' || name === '.' || name === '..' || /[\s/:\0]/.test(name)) {
    throw new InvalidKernelMechanismError(
      `"${name}" cannot be the ${whose} interface name: use 1 to ${MAX_INTERFACE_NAME_LENGTH} characters without spaces, "/" or ":"`,
    );
  }
  return name;
}
