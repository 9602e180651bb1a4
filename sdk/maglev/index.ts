export { createMaglev, buildMaglevTable, type MaglevTableBuilder } from './table.js';
export {
  resolveMaglevConfig,
  MAX_MAGLEV_TABLE_SIZE,
  MAX_MAGLEV_TARGETS,
  type MaglevConfig,
  type MaglevOptions,
} from './config.js';
export { InvalidMaglevInputError } from './errors.js';
export { isPrime, largestPrimeAtMost } from './prime.js';
export { entriesPerIdentifier, maxOverMean, changedEntries } from './analysis.js';
