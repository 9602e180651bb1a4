import { DEFAULTS } from '../defaults.js';
import { InvalidMaglevInputError } from './errors.js';
import { isPrime, largestPrimeAtMost } from './prime.js';

/**
 * Identifiers are stored in a Uint16Array, so there can be at most 65535 of them (0 means "no target").
 * Table sizes are capped at 2^24 so a table stays a few tens of megabytes at most.
 */
export const MAX_MAGLEV_TARGETS = 0xffff;
export const MAX_MAGLEV_TABLE_SIZE = 1 << 24;

export interface MaglevOptions {
  /** M: the number of table entries; a prime ≥ maxTargets. */
  tableSize?: number;
  /** N: identifiers are 1..N. */
  maxTargets?: number;
  /** Seed of the per-identifier permutation; every LB of a trench must use the same one. */
  seed?: number;
}

export interface MaglevConfig {
  readonly tableSize: number;
  readonly maxTargets: number;
  readonly seed: number;
}

/** Fills in the trench defaults and rejects anything that cannot make a valid table, with a sentence saying why. */
export function resolveMaglevConfig(options: MaglevOptions = {}): MaglevConfig {
  const maxTargets = options.maxTargets ?? DEFAULTS.maxTargets;
  const tableSize = options.tableSize ?? DEFAULTS.maglevTableSize;
  const seed = options.seed ?? DEFAULTS.maglevSeed;
  if (!Number.isInteger(maxTargets) || maxTargets < 1 || maxTargets > MAX_MAGLEV_TARGETS) {
    throw new InvalidMaglevInputError(
      `The Maglev slot count N must be an integer from 1 to ${MAX_MAGLEV_TARGETS}, got ${maxTargets}.`,
    );
  }
  if (!Number.isInteger(tableSize) || tableSize < 2 || tableSize > MAX_MAGLEV_TABLE_SIZE) {
    throw new InvalidMaglevInputError(
      `The Maglev table size M must be an integer from 2 to ${MAX_MAGLEV_TABLE_SIZE}, got ${tableSize}.`,
    );
  }
  if (!isPrime(tableSize)) {
    const below = largestPrimeAtMost(tableSize);
    throw new InvalidMaglevInputError(
      `The Maglev table size M must be prime so that every permutation covers the whole table; ` +
        `${tableSize} is not (the largest prime below it is ${below}).`,
    );
  }
  if (tableSize < maxTargets) {
    throw new InvalidMaglevInputError(
      `The Maglev table size M (${tableSize}) must be at least the slot count N (${maxTargets}), ` +
        `otherwise some targets get no entry; use M ≥ 100·N for balance within 1 %.`,
    );
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidMaglevInputError(`The Maglev seed must be an unsigned 32-bit integer, got ${seed}.`);
  }
  return Object.freeze({ tableSize, maxTargets, seed });
}
