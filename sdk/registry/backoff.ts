/** Exponential backoff with jitter for reconnects and retries. */
export interface BackoffOptions {
  /** The first delay; default 100 ms. */
  readonly initialMs?: number;
  /** The largest delay; default 5 s. */
  readonly maxMs?: number;
}

export const DEFAULT_BACKOFF = Object.freeze({ initialMs: 100, maxMs: 5000 });

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? DEFAULT_BACKOFF.maxMs);
  }

  /** The next delay: doubling from `initialMs` up to `maxMs`, less up to 20 % so that peers spread out. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (0.8 + 0.2 * Math.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
