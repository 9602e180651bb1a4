/**
 * fwmark and routing table numbers of the targets: X = offset + identifier for identifiers 1..N, used
 * both as the packet mark the queue gives a flow and as the table `ip rule fwmark X table X` sends it to.
 */
import { FwmarkRangeError } from './errors.js';

/** Tables the kernel keeps for itself: 253 `default`, 254 `main`, 255 `local`. */
export const RESERVED_TABLES: readonly number[] = Object.freeze([253, 254, 255]);

/** Marks and table ids are unsigned 32-bit numbers. */
export const MAX_FWMARK = 0xffffffff;

export interface FwmarkRange {
  readonly offset: number;
  readonly maxTargets: number;
  /** offset + 1: the table of identifier 1. */
  readonly first: number;
  /** offset + maxTargets: the table of identifier N. */
  readonly last: number;
}

/**
 * Checks that every table offset + 1 … offset + maxTargets is usable and returns the range; otherwise
 * throws FwmarkRangeError saying which table collides or overflows and which offsets would work.
 */
export function fwmarkRange(offset: number, maxTargets: number): FwmarkRange {
  if (!Number.isInteger(maxTargets) || maxTargets < 1) {
    throw new FwmarkRangeError(`The number of targets must be a positive integer, got ${maxTargets}.`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new FwmarkRangeError(`The fwmark offset must be an integer ≥ 0, got ${offset}.`);
  }
  const first = offset + 1;
  const last = offset + maxTargets;
  if (last > MAX_FWMARK) {
    throw new FwmarkRangeError(
      `The fwmark offset ${offset} with ${maxTargets} targets reaches table ${last}, past the largest ` +
        `fwmark and table number ${MAX_FWMARK}; use an offset of at most ${MAX_FWMARK - maxTargets}.`,
    );
  }
  const reserved = RESERVED_TABLES.filter((table) => table >= first && table <= last);
  if (reserved.length > 0) {
    throw new FwmarkRangeError(
      `The fwmark offset ${offset} with ${maxTargets} targets uses tables ${first}–${last}, which include ` +
        `the kernel's reserved table${reserved.length > 1 ? 's' : ''} ${reserved.join(', ')} ` +
        `(253 default, 254 main, 255 local); use an offset ${usableOffsets(maxTargets)}.`,
    );
  }
  return Object.freeze({ offset, maxTargets, first, last });
}

function usableOffsets(maxTargets: number): string {
  const highestLow = 252 - maxTargets;
  return highestLow >= 0 ? `of at most ${highestLow}, or of at least 255` : 'of at least 255';
}

/** The fwmark, and the table, of a target identifier (1..maxTargets). */
export function tableOf(range: FwmarkRange, identifier: number): number {
  return range.offset + identifier;
}
