/**
 * The NSP's target model, shared by the service and its clients. A target is identified by its set of
 * addresses (one per family); the prefix length NSM writes (`172.16.1.2/24`) is kept as sent but is no
 * part of the identity. `context.identifier` is the target's Maglev slot.
 */
import { InvalidArgumentError } from '../../core/index.js';
import { formatInterfaceAddress, formatIpAddress, parseInterfaceAddress } from '../common/index.js';

export const IDENTIFIER_KEY = 'identifier';

/** Limits that keep one registration small; Meridio's targets carry one or two short entries. */
export const CONTEXT_LIMITS = Object.freeze({ entries: 64, keyLength: 256, valueLength: 1024 });

/** A target as it travels: addresses and context, no status. */
export interface NspTarget {
  readonly ips: readonly string[];
  readonly context: Readonly<Record<string, string>>;
}

/** A validated target in canonical form. */
export interface NormalisedTarget extends NspTarget {
  /** The identity: canonical addresses without prefix length, IPv4 first, joined by a comma. */
  readonly key: string;
  readonly identifier: string | undefined;
}

function normaliseContext(context: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const entries = Object.entries(context);
  if (entries.length > CONTEXT_LIMITS.entries) {
    throw new InvalidArgumentError(
      `target context has ${entries.length} entries; at most ${CONTEXT_LIMITS.entries} are allowed`,
    );
  }
  for (const [key, value] of entries) {
    if (key === '' || key.length > CONTEXT_LIMITS.keyLength) {
      throw new InvalidArgumentError(
        `target context key "${key.slice(0, 40)}" must have 1 to ${CONTEXT_LIMITS.keyLength} characters`,
      );
    }
    if (value.length > CONTEXT_LIMITS.valueLength) {
      throw new InvalidArgumentError(
        `target context value of "${key}" is longer than ${CONTEXT_LIMITS.valueLength} characters`,
      );
    }
  }
  if (context[IDENTIFIER_KEY] === '') {
    throw new InvalidArgumentError(
      'target context "identifier" is empty: leave it out or give the Maglev slot',
    );
  }
  // Sorted keys: equal contexts serialize equally, whatever order the map arrived in.
  return Object.freeze(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/**
 * Validates and canonicalises a target: 1 or 2 addresses, at most one per family, each an IP address
 * with an optional prefix length. Throws InvalidArgumentError with a sentence otherwise.
 */
export function normaliseTarget(input: {
  readonly ips?: readonly string[] | null;
  readonly context?: Readonly<Record<string, string>> | null;
}): NormalisedTarget {
  const ips = input.ips ?? [];
  if (ips.length === 0) {
    throw new InvalidArgumentError('a target needs at least one IP address (one per family)');
  }
  const addresses = ips.map((ip) => parseInterfaceAddress(ip, 'target IP'));
  addresses.sort((a, b) => a.address.family - b.address.family);
  for (let index = 1; index < addresses.length; index++) {
    const previous = addresses[index - 1];
    const current = addresses[index];
    if (previous && current && previous.address.family === current.address.family) {
      throw new InvalidArgumentError(
        `target has two IPv${current.address.family} addresses (${formatInterfaceAddress(previous)} and ${formatInterfaceAddress(current)}); a target has one address per family`,
      );
    }
  }
  const context = normaliseContext(input.context ?? {});
  return Object.freeze({
    key: addresses.map((entry) => formatIpAddress(entry.address)).join(','),
    ips: Object.freeze(addresses.map(formatInterfaceAddress)),
    context,
    identifier: context[IDENTIFIER_KEY],
  });
}

/** Whether two normalised targets carry the same addresses (as sent) and context. */
export function sameTarget(a: NspTarget, b: NspTarget): boolean {
  const aKeys = Object.keys(a.context);
  return (
    a.ips.length === b.ips.length &&
    a.ips.every((ip, index) => ip === b.ips[index]) &&
    aKeys.length === Object.keys(b.context).length &&
    aKeys.every((key) => a.context[key] === b.context[key])
  );
}

/** `target 172.16.1.2/24,fd00::2/64 (identifier 3)`, for messages. */
export function describeTarget(target: NspTarget): string {
  const identifier = target.context[IDENTIFIER_KEY];
  return `target ${target.ips.join(',')}${identifier === undefined ? '' : ` (identifier ${identifier})`}`;
}
