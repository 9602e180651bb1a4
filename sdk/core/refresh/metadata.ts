import type { Clock, TimerHandle } from '../clock.js';
import { contextKey } from '../context.js';
import type { MetadataMap } from '../metadata/index.js';

/** The pending refresh of one connection. */
export interface RefreshTimer {
  readonly clock: Clock;
  handle: TimerHandle;
  /** Aborted when the refresh is replaced or the connection closes: a queued refresh is skipped. */
  readonly cancel: AbortController;
}

const refreshTimerKey = contextKey<RefreshTimer>('refresh.timer');

export function storeRefresh(metadata: MetadataMap, timer: RefreshTimer): void {
  metadata.set(refreshTimerKey, timer);
}

/** Stops the connection's pending refresh, if any. */
export function cancelRefresh(metadata: MetadataMap): void {
  const timer = metadata.take(refreshTimerKey);
  if (timer === undefined) return;
  timer.clock.clearTimeout(timer.handle);
  timer.cancel.abort();
}
