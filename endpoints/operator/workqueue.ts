/**
 * A keyed work queue with the semantics of client-go's rate-limited queue: a key is queued at
 * most once however many events name it; a key is never handed to two workers at once (an event
 * during processing marks it dirty, and it is queued again when the worker is done); failed keys
 * come back after a per-key exponential backoff that `forget` resets.
 */
import { type Clock, type TimerHandle, systemClock } from '../../sdk/core/index.js';

export interface WorkQueueOptions {
  /** The delay after the first failure of a key. Default 100 ms. */
  readonly initialRetryMs?: number;
  /** The longest delay. Default 60 s. */
  readonly maxRetryMs?: number;
  readonly clock?: Clock;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys waiting in `queue` or marked dirty while processing: what must (still) be processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, TimerHandle>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly initialRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly clock: Clock;
  private shuttingDown = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions = {}) {
    this.initialRetryMs = options.initialRetryMs ?? 100;
    this.maxRetryMs = Math.max(options.maxRetryMs ?? 60_000, this.initialRetryMs);
    this.clock = options.clock ?? systemClock;
  }

  /** Queues `key` unless it is already waiting; a key being processed is queued again after `done`. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Queues `key` after `delayMs` (a later call for the same key replaces an earlier one). */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    const pending = this.delayed.get(key);
    if (pending) this.clock.clearTimeout(pending);
    this.delayed.set(
      key,
      this.clock.setTimeout(() => {
        this.delayed.delete(key);
        this.add(key);
      }, delayMs),
    );
  }

  /** Queues `key` again after its backoff: 1st failure `initialRetryMs`, then doubling. Returns the delay. */
  addRateLimited(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delay = Math.min(this.maxRetryMs, this.initialRetryMs * 2 ** Math.min(failures - 1, 30));
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its next failure starts the backoff from the beginning. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times in a row `key` has failed. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished `key` (successfully or not); a key marked dirty meanwhile is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    this.notifyIdle();
  }

  get length(): number {
    return this.queue.length;
  }

  /** Nothing queued, nothing being processed (delayed retries may still be pending). */
  isIdle(): boolean {
    return this.queue.length === 0 && this.processing.size === 0;
  }

  /**
   * Stops taking keys: pending retries are cancelled, waiting workers get undefined, queued keys
   * are dropped; resolves when the keys being processed are done.
   */
  async shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const handle of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    for (const key of this.queue) this.dirty.delete(key);
    this.queue.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    if (this.processing.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
