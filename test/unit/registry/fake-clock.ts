import type { Clock, TimerHandle } from '../../../sdk/core/index.js';

/** A clock that moves only when the test says so; timers fire in due order during `advance`. */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.current + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones set meanwhile). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = [...this.timers.entries()]
        .filter(([, timer]) => timer.due <= target)
        .sort(([idA, a], [idB, b]) => a.due - b.due || idA - idB)[0];
      if (!next) break;
      const [id, timer] = next;
      this.timers.delete(id);
      this.current = timer.due;
      timer.callback();
    }
    this.current = target;
  }

  /** Like `advance`, and lets promise continuations scheduled by the timers run. */
  async advanceAsync(ms: number, step = ms): Promise<void> {
    for (let moved = 0; moved < ms; moved += step) {
      this.advance(Math.min(step, ms - moved));
      for (let i = 0; i < 20; i++) await Promise.resolve();
    }
  }
}
