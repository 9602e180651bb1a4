import { InvalidArgumentError } from '../core/index.js';

/** A Maglev table size, slot count, seed or identifier that cannot produce a valid table. */
export class InvalidMaglevInputError extends InvalidArgumentError {}
