import { DEFAULTS } from '../../../sdk/defaults.js';
import {
  buildMaglevTable,
  changedEntries,
  createMaglev,
  entriesPerIdentifier,
  InvalidMaglevInputError,
  isPrime,
  largestPrimeAtMost,
  maxOverMean,
} from '../../../sdk/maglev/index.js';

/** Deterministic pseudo-random numbers so a failure can be reproduced. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Maglev configuration', () => {
  it('defaults to the trench values', () => {
    expect(createMaglev().config).toEqual({
      tableSize: DEFAULTS.maglevTableSize,
      maxTargets: DEFAULTS.maxTargets,
      seed: DEFAULTS.maglevSeed,
    });
  });

  it('finds primes', () => {
    expect([2, 3, 5, 7, 9973, 65537, 655373].every(isPrime)).toBe(true);
    expect([0, 1, 4, 9, 10000, 65535, 655375].some(isPrime)).toBe(false);
    expect(largestPrimeAtMost(10000)).toBe(9973);
    expect(largestPrimeAtMost(1)).toBeUndefined();
  });

  it.each([
    [{ tableSize: 10000 }, /must be prime.*largest prime below it is 9973/],
    [{ tableSize: 7, maxTargets: 10 }, /must be at least the slot count N \(10\)/],
    [{ maxTargets: 0 }, /slot count N must be an integer from 1 to 65535, got 0/],
    [{ maxTargets: 70000, tableSize: 655373 }, /slot count N must be an integer/],
    [{ tableSize: 1.5 }, /table size M must be an integer/],
    [{ seed: -1 }, /seed must be an unsigned 32-bit integer/],
  ])('rejects %p with a clear error', (options, message) => {
    expect(() => createMaglev(options)).toThrow(InvalidMaglevInputError);
    expect(() => createMaglev(options)).toThrow(message);
  });

  it('rejects identifiers out of range, duplicates and a wrong output size', () => {
    const maglev = createMaglev({ tableSize: 997, maxTargets: 32 });
    expect(() => maglev.build([0])).toThrow(
      /identifier 0 is out of range: identifiers are integers from 1 to 32/,
    );
    expect(() => maglev.build([33])).toThrow(/identifier 33 is out of range/);
    expect(() => maglev.build([1.5])).toThrow(InvalidMaglevInputError);
    expect(() => maglev.build([4, 5, 4])).toThrow(/identifier 4 is listed twice/);
    expect(() => maglev.build([1], new Uint16Array(996))).toThrow(
      /996 entries but the Maglev table size is 997/,
    );
  });
});

describe('Maglev table', () => {
  it('is all empty without active identifiers and fully owned by a single one', () => {
    const maglev = createMaglev({ tableSize: 997, maxTargets: 32 });
    expect(maglev.build([]).every((entry) => entry === 0)).toBe(true);
    expect(maglev.build([7]).every((entry) => entry === 7)).toBe(true);
  });

  it('holds only active identifiers, each with ⌊M/n⌋ or ⌈M/n⌉ entries', () => {
    const maglev = createMaglev({ tableSize: 9973, maxTargets: 100 });
    const active = [3, 17, 42, 99, 100];
    const counts = entriesPerIdentifier(maglev.build(active), 100);
    expect(counts[0]).toBe(0);
    const owned = active.map((identifier) => counts[identifier]);
    expect(owned.reduce((a, b) => a + b, 0)).toBe(9973);
    for (const count of owned) {
      expect(count).toBeGreaterThanOrEqual(Math.floor(9973 / 5));
      expect(count).toBeLessThanOrEqual(Math.ceil(9973 / 5));
    }
  });

  it('depends only on the active set: any activation order, any builder instance, same bytes', () => {
    const random = mulberry32(1);
    const options = { tableSize: 65537, maxTargets: 100 };
    const active = shuffled(range(1, 100), random).slice(0, 37);
    const reference = buildMaglevTable(
      [...active].sort((a, b) => a - b),
      options,
    );
    for (let trial = 0; trial < 10; trial++) {
      const otherLb = createMaglev(options);
      const table = otherLb.build(new Set(shuffled(active, random)));
      expect(Buffer.from(table.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
    }
    // Reaching the same set through a different history of activations changes nothing either.
    const into = new Uint16Array(65537);
    const maglev = createMaglev(options);
    maglev.build(range(1, 100), into);
    maglev.build(active.slice(0, 5), into);
    const rebuilt = maglev.build(active, into);
    expect(Buffer.from(rebuilt.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
  });

  it('changes with the seed', () => {
    const active = range(1, 10);
    const a = buildMaglevTable(active, { tableSize: 997, maxTargets: 10, seed: 1 });
    const b = buildMaglevTable(active, { tableSize: 997, maxTargets: 10, seed: 2 });
    expect(changedEntries(a, b)).toBeGreaterThan(500);
  });

  it.each([
    [16381, 100],
    [65537, 100],
    [655373, 1000],
  ])('is balanced within 1 %% at M=%i, N=%i (M ≥ 100·N)', (tableSize, maxTargets) => {
    const maglev = createMaglev({ tableSize, maxTargets });
    const all = range(1, maxTargets);
    expect(maxOverMean(maglev.build(all), all, maxTargets)).toBeLessThanOrEqual(1.01);
    const random = mulberry32(tableSize);
    const subset = shuffled(all, random).slice(0, Math.floor(maxTargets / 3));
    expect(maxOverMean(maglev.build(subset), subset, maxTargets)).toBeLessThanOrEqual(1.01);
  });

  it('moves at most 2 % of the entries when 1 of 100 leaves or joins (M=65537)', () => {
    const maglev = createMaglev({ tableSize: 65537, maxTargets: 100 });
    const all = range(1, 100);
    const full = maglev.build(all);
    const random = mulberry32(7);
    for (const removed of shuffled(all, random).slice(0, 10)) {
      const without = maglev.build(all.filter((identifier) => identifier !== removed));
      const changed = changedEntries(full, without);
      // Every entry of the removed identifier must move (~1 %); everything else moved is collateral.
      const ownedByRemoved = full.filter((entry) => entry === removed).length;
      expect(changed).toBeGreaterThanOrEqual(ownedByRemoved);
      expect(changed / 65537).toBeLessThanOrEqual(0.02);
      expect(without.includes(removed)).toBe(false);
      // Joining again is the reverse change: the same table as before.
      expect(changedEntries(maglev.build(all), full)).toBe(0);
    }
  });

  it('builds a table for N=1000 at M=655373 where every identifier owns entries', () => {
    const maglev = createMaglev({ tableSize: 655373, maxTargets: 1000 });
    const counts = entriesPerIdentifier(maglev.build(range(1, 1000)), 1000);
    expect(counts[0]).toBe(0);
    expect(Math.min(...counts.subarray(1))).toBeGreaterThanOrEqual(655);
    expect(Math.max(...counts.subarray(1))).toBeLessThanOrEqual(656);
  });
});
