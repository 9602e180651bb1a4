import { InvalidMaglevInputError } from './errors.js';

/**
 * Measures of a built table, used by property tests, the benchmark and operators' diagnostics.
 */

/** How many entries each identifier owns (index = identifier; index 0 counts empty entries). */
export function entriesPerIdentifier(table: Uint16Array, maxTargets: number): Uint32Array {
  const counts = new Uint32Array(maxTargets + 1);
  for (let i = 0; i < table.length; i++) counts[table[i]]++;
  return counts;
}

/** Largest share over mean share among the active identifiers (1 = perfect balance). */
export function maxOverMean(table: Uint16Array, active: Iterable<number>, maxTargets: number): number {
  const counts = entriesPerIdentifier(table, maxTargets);
  let max = 0;
  let sum = 0;
  let count = 0;
  for (const identifier of active) {
    const owned = counts[identifier];
    max = Math.max(max, owned);
    sum += owned;
    count++;
  }
  return count === 0 ? 0 : max / (sum / count);
}

/** The number of entries whose identifier differs between two tables of the same size. */
export function changedEntries(before: Uint16Array, after: Uint16Array): number {
  if (before.length !== after.length) {
    throw new InvalidMaglevInputError(
      `Cannot compare Maglev tables of different sizes (${before.length} and ${after.length} entries).`,
    );
  }
  let changed = 0;
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed++;
  return changed;
}
