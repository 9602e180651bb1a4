import { DeadlineExceededError } from '../../sdk/core/index.js';

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls `condition` every `everyMs` until it holds; DeadlineExceededError naming `what` after
 * `timeoutMs`, or when `signal` aborts first.
 */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  signal?: AbortSignal,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (signal?.aborted)
      throw new DeadlineExceededError(`Stopped waiting for ${what}: the instance is going down.`);
    if (Date.now() >= deadline)
      throw new DeadlineExceededError(`Gave up waiting for ${what} after ${timeoutMs} ms.`);
    await pause(everyMs, signal);
  }
}

/** A loop's sleep that another event can cut short (`wake`). */
export class Waker {
  private wakeUp: (() => void) | undefined;

  /** Sleeps up to `ms`; returns early on `wake()` or abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}
