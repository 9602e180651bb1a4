export interface BackoffOptions {
  /** The delay before the second retry in a row; the first retry is immediate. Default 500 ms. */
  readonly initialMs?: number;
  /** The longest delay. Default 30 s. */
  readonly maxMs?: number;
}

/**
 * Retry delays after consecutive failures: the first retry is immediate (most failures are a
 * single dropped connection), then `initialMs` doubling up to `maxMs`, each scaled by a random
 * factor in [0.5, 1] so that many pods do not reconnect to a restarted API server in lockstep.
 */
export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = Math.max(options.maxMs ?? 30_000, this.initialMs);
  }

  /** Records a failure and returns how long to wait before retrying. */
  failure(): number {
    this.failures++;
    if (this.failures === 1) return 0;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures - 2, 30));
    return Math.round(delay * (0.5 + this.random() / 2));
  }

  /** Records progress: the next failure retries immediately again. */
  reset(): void {
    this.failures = 0;
  }
}
