import { resolveMaglevConfig, type MaglevConfig, type MaglevOptions } from './config.js';
import { InvalidMaglevInputError } from './errors.js';
import { permutationOffset, permutationSkip } from './permutation.js';

/**
 * Builds Maglev lookup tables (Eisenbud et al., NSDI 2016, Pseudocode 1) for one configuration.
 * An entry holds the identifier (1..N) that owns it, or 0 when no identifier is active.
 */
export interface MaglevTableBuilder {
  readonly config: MaglevConfig;
  /**
   * The table for this set of active identifiers. It depends only on the set (plus M, N and the seed),
   * never on the order of `active`. Writes into `into` (length M) when given, so a caller can fill a
   * preallocated or shared buffer without allocating.
   */
  build(active: Iterable<number>, into?: Uint16Array): Uint16Array;
}

export function createMaglev(options: MaglevOptions = {}): MaglevTableBuilder {
  return new Maglev(resolveMaglevConfig(options));
}

/** One-shot form of `createMaglev(options).build(active)`. */
export function buildMaglevTable(active: Iterable<number>, options: MaglevOptions = {}): Uint16Array {
  return createMaglev(options).build(active);
}

class Maglev implements MaglevTableBuilder {
  /** Offset and skip of every identifier 1..N (index = identifier), computed once per configuration. */
  private readonly offsets: Int32Array;
  private readonly skips: Int32Array;

  constructor(readonly config: MaglevConfig) {
    const { maxTargets, tableSize, seed } = config;
    this.offsets = new Int32Array(maxTargets + 1);
    this.skips = new Int32Array(maxTargets + 1);
    for (let identifier = 1; identifier <= maxTargets; identifier++) {
      this.offsets[identifier] = permutationOffset(identifier, tableSize, seed);
      this.skips[identifier] = permutationSkip(identifier, tableSize, seed);
    }
  }

  build(active: Iterable<number>, into?: Uint16Array): Uint16Array {
    const size = this.config.tableSize;
    if (into !== undefined && into.length !== size) {
      throw new InvalidMaglevInputError(
        `The output buffer has ${into.length} entries but the Maglev table size is ${size}.`,
      );
    }
    const table = into ?? new Uint16Array(size);
    const identifiers = this.sortedIdentifiers(active);
    table.fill(0);
    const count = identifiers.length;
    if (count === 0) return table;

    // Each identifier walks its own permutation (offset + j·skip mod M) and takes the next free entry,
    // in turn, until every entry is taken. Turns go in identifier order: that fixes the result for a set.
    const next = new Int32Array(count);
    const skips = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      next[i] = this.offsets[identifiers[i]];
      skips[i] = this.skips[identifiers[i]];
    }
    let filled = 0;
    for (;;) {
      for (let i = 0; i < count; i++) {
        const skip = skips[i];
        let candidate = next[i];
        while (table[candidate] !== 0) {
          candidate += skip;
          if (candidate >= size) candidate -= size;
        }
        table[candidate] = identifiers[i];
        candidate += skip;
        if (candidate >= size) candidate -= size;
        next[i] = candidate;
        if (++filled === size) return table;
      }
    }
  }

  private sortedIdentifiers(active: Iterable<number>): Uint16Array {
    const { maxTargets } = this.config;
    const seen = new Uint8Array(maxTargets + 1);
    let count = 0;
    for (const identifier of active) {
      if (!Number.isInteger(identifier) || identifier < 1 || identifier > maxTargets) {
        throw new InvalidMaglevInputError(
          `Maglev identifier ${identifier} is out of range: identifiers are integers from 1 to ${maxTargets}.`,
        );
      }
      if (seen[identifier] !== 0) {
        throw new InvalidMaglevInputError(
          `Maglev identifier ${identifier} is listed twice in the active set.`,
        );
      }
      seen[identifier] = 1;
      count++;
    }
    const sorted = new Uint16Array(count);
    let at = 0;
    for (let identifier = 1; identifier <= maxTargets && at < count; identifier++) {
      if (seen[identifier] !== 0) sorted[at++] = identifier;
    }
    return sorted;
  }
}
