import type { Clock, TimerHandle } from '../clock.js';
import { contextKey } from '../context.js';
import { CancelledError } from '../errors.js';
import type { MetadataMap } from '../metadata/index.js';

/**
 * The reason an expiry close still queued behind other events sees when a refresh replaced its timer or
 * the connection closed. One shared instance: `abort()` without a reason builds a DOMException per call.
 */
const EXPIRY_CANCELLED = new CancelledError('the expiry was replaced by a refresh or the connection closed');

/** The pending expiry of one connection. */
export class ExpiryTimer {
  /**
   * Made when the timer fires and the close event is queued; aborted when the timer is replaced or the
   * connection closes, so that queued close is skipped. Not made before: every refresh replaces the timer,
   * and an AbortController per refresh was the most expensive part of this element.
   */
  private queued: AbortController | undefined;
  private handle: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    private readonly onExpiry: (cancel: AbortSignal) => void,
  ) {}

  /** Schedules the expiry `delayMs` from now on the clock. */
  start(): this {
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      this.queued = new AbortController();
      this.onExpiry(this.queued.signal);
    }, this.delayMs);
    return this;
  }

  /** Cancels the pending expiry, or the close it already queued. */
  stop(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.queued?.abort(EXPIRY_CANCELLED);
  }
}

const expiryTimerKey = contextKey<ExpiryTimer>('timeout.expiry');

export function storeExpiry(metadata: MetadataMap, timer: ExpiryTimer): void {
  metadata.set(expiryTimerKey, timer);
}

export function hasExpiry(metadata: MetadataMap): boolean {
  return metadata.has(expiryTimerKey);
}

/** Stops the connection's pending expiry, if any. */
export function cancelExpiry(metadata: MetadataMap): void {
  metadata.take(expiryTimerKey)?.stop();
}
