import type { Mechanism, NetworkServiceRequest } from '../../core/index.js';
import { UnsupportedMechanismError } from './errors.js';
import { interfaceNameOf, isKernelMechanism, KERNEL_MECHANISM, netnsUrlOf } from './mechanism.js';
import { validateInterfaceName } from './interface-name.js';
import { type NetnsUrl, parseNetnsUrl } from './netns-url.js';

/** A KERNEL mechanism whose namespace URL and (if present) interface name have been checked. */
export interface CheckedKernelMechanism {
  readonly mechanism: Mechanism;
  readonly netns: NetnsUrl;
  /** '' when the mechanism does not name the interface yet. */
  readonly interfaceName: string;
}

function offeredTypes(request: NetworkServiceRequest): string {
  const types = request.mechanism_preferences.map((m) => m.type || '(no type)');
  return types.length === 0 ? 'none' : types.join(', ');
}

/**
 * The KERNEL mechanism a request asks for: the connection's mechanism when it has one (a refresh),
 * otherwise the first KERNEL entry of `mechanism_preferences` (a copy). Any other mechanism type is an
 * UnsupportedMechanismError (INVALID_ARGUMENT) that says what was offered.
 */
export function selectKernelMechanism(request: NetworkServiceRequest): Mechanism {
  const current = request.connection?.mechanism;
  if (current && current.type !== '') {
    if (current.type !== KERNEL_MECHANISM) {
      throw new UnsupportedMechanismError(
        `the connection uses the ${current.type} mechanism; only ${KERNEL_MECHANISM} is supported here`,
      );
    }
    return structuredClone(current);
  }
  const preferred = request.mechanism_preferences.find((m) => isKernelMechanism(m));
  if (!preferred) {
    throw new UnsupportedMechanismError(
      `cannot support any of the requested mechanisms (offered: ${offeredTypes(request)}); only ${KERNEL_MECHANISM} is supported here`,
    );
  }
  return structuredClone(preferred);
}

/**
 * Checks a KERNEL mechanism's parameters: its namespace URL (see parseNetnsUrl) and its interface name
 * (≤ 15 characters), which must be present when `requireName`. `whose` ("client", "endpoint") names the
 * side in messages.
 */
export function checkKernelMechanism(
  mechanism: Mechanism,
  whose: string,
  options: { requireName?: boolean } = {},
): CheckedKernelMechanism {
  const netns = parseNetnsUrl(netnsUrlOf(mechanism));
  const interfaceName = interfaceNameOf(mechanism);
  if (interfaceName !== '' || options.requireName) validateInterfaceName(interfaceName, whose);
  return { mechanism, netns, interfaceName };
}
