/**
 * Keeps something registered: registers once (the caller sees that result or its error), then again
 * on a schedule the result decides, retrying with backoff when the registry is away, until closed.
 */
import type { Logger } from 'pino';

import { type Clock, messageOf, type TimerHandle } from '../core/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';

export interface KeptRegistrationOptions<T> {
  register(previous: T | undefined): Promise<T>;
  /** How long to wait after a successful registration before the next one. */
  intervalAfter(result: T, sentAt: number): number;
  /** Runs once on close, after any registration in flight has settled. */
  release?(last: T): Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry?: BackoffOptions;
  readonly signal?: AbortSignal;
}

export class KeptRegistration<T> {
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly backoff: Backoff;

  private constructor(
    private current: T,
    private readonly options: KeptRegistrationOptions<T>,
  ) {
    this.backoff = new Backoff(options.retry);
  }

  /** Registers once and starts keeping the registration; rejects with the first registration's error. */
  static async start<T>(options: KeptRegistrationOptions<T>): Promise<KeptRegistration<T>> {
    const sentAt = options.clock.now();
    const first = await options.register(undefined);
    const kept = new KeptRegistration(first, options);
    kept.schedule(options.intervalAfter(first, sentAt));
    const { signal } = options;
    if (signal?.aborted) await kept.close();
    else signal?.addEventListener('abort', () => void kept.close(), { once: true });
    return kept;
  }

  /** The registry's answer to the last successful registration. */
  get last(): T {
    return this.current;
  }

  /** Stops re-registering and releases (once); waits for a registration in flight so none lands after. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
      this.timer = undefined;
      await this.inFlight;
      await this.options.release?.(this.current);
    })();
    return this.closing;
  }

  private schedule(delayMs: number): void {
    if (this.closing) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.refresh();
    }, delayMs);
  }

  private async refresh(): Promise<void> {
    const sentAt = this.options.clock.now();
    try {
      const result = await this.options.register(this.current);
      if (this.closing) return;
      this.current = result;
      this.backoff.reset();
      this.schedule(this.options.intervalAfter(result, sentAt));
    } catch (error) {
      if (this.closing) return;
      const retryMs = this.backoff.next();
      this.options.logger.warn({ reason: messageOf(error), retryMs }, 'registering again failed; retrying');
      this.schedule(retryMs);
    }
  }
}
