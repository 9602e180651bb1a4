import { randomBytes } from 'node:crypto';

import { InvalidArgumentError } from '../../core/index.js';
import { MAX_INTERFACE_NAME_LENGTH } from '../../kernel/index.js';

/** Longest prefix kept: the rest of the 15 characters are '-' and the random part. */
const MAX_PREFIX_LENGTH = 7;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Checks a name prefix once, when an element is built. */
export function checkPrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9]*$/i.test(prefix) || prefix.length > MAX_PREFIX_LENGTH) {
    throw new InvalidArgumentError(
      `the interface name prefix "${prefix}" must be 1 to ${MAX_PREFIX_LENGTH} letters or digits, starting with a letter`,
    );
  }
  return prefix;
}

function randomPart(length: number): string {
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += ALPHABET[byte % ALPHABET.length];
  return text;
}

/**
 * Interface names handed out per network namespace: `<prefix>-<random>`, exactly 15 characters, never
 * one that is still in use in the same namespace. Random rather than counted, so names made by an
 * earlier run of the process (links that outlived it) do not come back for other connections.
 */
export class InterfaceNames {
  private readonly inUse = new Map<string, Set<string>>();

  /** A new name for `namespace` (any stable key: its inode URL). */
  allocate(namespace: string, prefix: string): string {
    let names = this.inUse.get(namespace);
    if (names === undefined) {
      names = new Set();
      this.inUse.set(namespace, names);
    }
    const length = MAX_INTERFACE_NAME_LENGTH - prefix.length - 1;
    for (;;) {
      const name = `${prefix}-${randomPart(length)}`;
      if (!names.has(name)) {
        names.add(name);
        return name;
      }
    }
  }

  /** Gives a name back; unknown names are ignored. */
  release(namespace: string, name: string): void {
    const names = this.inUse.get(namespace);
    if (names === undefined) return;
    names.delete(name);
    if (names.size === 0) this.inUse.delete(namespace);
  }

  /** Names currently handed out in `namespace`. */
  count(namespace: string): number {
    return this.inUse.get(namespace)?.size ?? 0;
  }
}
