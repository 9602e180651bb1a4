import { setImmediate as nextMacrotask } from 'node:timers/promises';

import { type Clock, InvalidArgumentError, type TimerHandle } from '../core/index.js';

interface FakeTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

/** 2030-01-01T00:00:00Z: a fixed start, so tests are the same on every run. */
const DEFAULT_START_MS = Date.UTC(2030, 0, 1);

/** Lets every promise chain started so far run to its next real wait. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await nextMacrotask();
}

/**
 * A `Clock` that moves only when told to. `advance(ms)` fires the timers that fall due, in time order
 * (ties in the order they were set), moving `now()` to each one's time and letting promises settle
 * between them, so a timer set by an earlier timer's work also fires if it falls due in the window.
 */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(startMs: number = DEFAULT_START_MS) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    this.timers.set(id, { id, dueMs: this.current + delay, callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Milliseconds until the next timer falls due, or undefined when none is pending. */
  nextDueInMs(): number | undefined {
    const first = this.earliest(Number.POSITIVE_INFINITY);
    return first === undefined ? undefined : first.dueMs - this.current;
  }

  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidArgumentError(
        `a fake clock advances by a finite, non-negative number of ms, not ${ms}`,
      );
    }
    const target = this.current + ms;
    await settle();
    for (let timer = this.earliest(target); timer !== undefined; timer = this.earliest(target)) {
      this.timers.delete(timer.id);
      this.current = Math.max(this.current, timer.dueMs);
      timer.callback();
      await settle();
    }
    this.current = target;
    await settle();
  }

  private earliest(limitMs: number): FakeTimer | undefined {
    let first: FakeTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.dueMs > limitMs) continue;
      if (
        first === undefined ||
        timer.dueMs < first.dueMs ||
        (timer.dueMs === first.dueMs && timer.id < first.id)
      ) {
        first = timer;
      }
    }
    return first;
  }
}
