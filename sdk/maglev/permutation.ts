/**
 * Where an identifier's preference list starts (offset) and how it steps (skip), from a seeded hash of
 * the identifier alone: the permutation of a target never depends on which other targets exist or on
 * the order they arrived in, which is what makes tables identical on every LB of a trench.
 */

const OFFSET_SALT = 0x6f666673; // "offs"
const SKIP_SALT = 0x736b6970; // "skip"

/** MurmurHash3 (x86, 32-bit) of two 32-bit words. */
function murmur3TwoWords(first: number, second: number, seed: number): number {
  let h = seed >>> 0;
  for (const word of [first, second]) {
    let k = Math.imul(word, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 8;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function permutationOffset(identifier: number, tableSize: number, seed: number): number {
  return murmur3TwoWords(identifier, OFFSET_SALT, seed) % tableSize;
}

/** In 1..M−1: with M prime every such step visits each entry exactly once. */
export function permutationSkip(identifier: number, tableSize: number, seed: number): number {
  return (murmur3TwoWords(identifier, SKIP_SALT, seed) % (tableSize - 1)) + 1;
}
