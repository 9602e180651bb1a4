import { randomUUID } from 'node:crypto';

import type { Context } from '../context.js';
import { InvalidArgumentError } from '../errors.js';

/** A token for this hop's path segment and the time it stops being valid (ms since the epoch). */
export interface IssuedToken {
  readonly token: string;
  readonly expiresMs: number;
}

/** Issues this hop's token; time comes from `ctx.clock` so tests control expiry. */
export type TokenGenerator = (ctx: Context) => IssuedToken | Promise<IssuedToken>;

export const DEFAULT_MAX_TOKEN_LIFETIME_MS = 10 * 60_000;

/**
 * Random opaque tokens valid for `maxLifetimeMs` (default 10 minutes). They prove nothing; they carry the
 * expiry that timeout and refresh work from, as NSM's tokens do when no SPIFFE identity is in use.
 */
export function opaqueTokenGenerator(maxLifetimeMs: number = DEFAULT_MAX_TOKEN_LIFETIME_MS): TokenGenerator {
  if (!Number.isFinite(maxLifetimeMs) || maxLifetimeMs <= 0) {
    throw new InvalidArgumentError(
      `a token lifetime must be a positive number of milliseconds, not ${maxLifetimeMs}`,
    );
  }
  // randomUUID draws from a cached entropy pool: a fresh token per Request costs next to nothing.
  return (ctx) => ({ token: randomUUID(), expiresMs: ctx.clock.now() + maxLifetimeMs });
}
