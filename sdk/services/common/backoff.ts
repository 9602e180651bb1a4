/**
 * Exponential backoff with jitter for reconnect loops. Jitter spreads the retries of many clients
 * after a server restart, so they do not all arrive in the same millisecond.
 */
export interface BackoffOptions {
  /** First delay (default 100 ms). */
  readonly initialMs?: number;
  /** Ceiling of the delay (default 5 s). */
  readonly maxMs?: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /** Fraction of the delay drawn at random, 0..1 (default 0.2). */
  readonly jitter?: number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const base = Math.min(max, initial * factor ** Math.min(attempt, 64));
  return Math.round(base * (1 - jitter + jitter * Math.random()));
}
