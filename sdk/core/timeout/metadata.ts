import type { Clock, TimerHandle } from '../clock.js';
import { contextKey } from '../context.js';
import type { MetadataMap } from '../metadata/index.js';

/** The pending expiry of one connection. */
export interface ExpiryTimer {
  readonly clock: Clock;
  readonly handle: TimerHandle;
  /** Aborted when the timer is replaced or the connection closes, so an already queued close is skipped. */
  readonly cancel: AbortController;
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
  const timer = metadata.take(expiryTimerKey);
  if (timer === undefined) return;
  timer.clock.clearTimeout(timer.handle);
  timer.cancel.abort();
}
