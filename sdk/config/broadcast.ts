import { type ConfigUpdate } from './source.js';
import { type MeridioConfig, EMPTY_CONFIG, diffConfigs, isEmptyDiff, sameVips } from './model.js';

/**
 * Holds the configuration in force and hands each subscriber the latest one with the difference to
 * what that subscriber last received. Keeping one value instead of a queue bounds memory and lets a
 * subscriber that was busy (or retrying) catch up in one step.
 */
export class ConfigBroadcast {
  private latest: MeridioConfig | undefined;
  private version = 0;
  private closed = false;
  private readonly wakers = new Set<() => void>();

  current(): MeridioConfig | undefined {
    return this.latest;
  }

  /** Returns false when `config` has the same VIPs as the one in force (nothing to tell anyone). */
  publish(config: MeridioConfig): boolean {
    if (this.closed) return false;
    if (this.latest !== undefined && sameVips(this.latest, config)) return false;
    this.latest = config;
    this.version++;
    this.wakeAll();
    return true;
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  async *subscribe(signal?: AbortSignal): AsyncGenerator<ConfigUpdate, void, undefined> {
    let delivered: MeridioConfig | undefined;
    let seenVersion = 0;
    while (!this.closed && !signal?.aborted) {
      const latest = this.latest;
      if (latest !== undefined && this.version !== seenVersion) {
        seenVersion = this.version;
        const diff = diffConfigs(delivered ?? EMPTY_CONFIG, latest);
        // The first delivery always happens (even `vips: []`): it tells the subscriber the
        // configuration is known. Later ones only when the VIPs changed for this subscriber.
        if (delivered === undefined || !isEmptyDiff(diff)) {
          delivered = latest;
          yield { config: latest, diff };
        }
        continue;
      }
      await this.nextWake(signal);
    }
  }

  private nextWake(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.wakers.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.wakers.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

/**
 * Delivers every published item to each subscriber registered at the time, in order. Subscribing
 * is immediate (not on the first `next()`), so nothing published after `subscribe` returns is
 * missed. A subscriber that does not read keeps at most `limit` items (the oldest are dropped).
 */
export class Fanout<T> {
  private closed = false;
  private readonly subscribers = new Set<FanoutSubscriber<T>>();

  constructor(private readonly limit = 256) {}

  publish(item: T): void {
    for (const subscriber of this.subscribers) subscriber.push(item);
  }

  close(): void {
    this.closed = true;
    for (const subscriber of [...this.subscribers]) subscriber.end();
  }

  subscribe(signal?: AbortSignal): AsyncIterableIterator<T> {
    const subscriber = new FanoutSubscriber<T>(this.limit, () => this.subscribers.delete(subscriber));
    if (this.closed || signal?.aborted) {
      subscriber.end();
      return subscriber;
    }
    this.subscribers.add(subscriber);
    signal?.addEventListener('abort', () => subscriber.end(), { once: true });
    return subscriber;
  }
}

class FanoutSubscriber<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private ended = false;
  private waiting: ((result: IteratorResult<T>) => void) | undefined;

  constructor(
    private readonly limit: number,
    private readonly onEnd: () => void,
  ) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    this.buffer.push(item);
    if (this.buffer.length > this.limit) this.buffer.shift();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift() as T, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.buffer.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
