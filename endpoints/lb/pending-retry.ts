/**
 * Keeps the reconciler's pending targets moving: a link that comes or goes in the LB's namespace (an
 * NSM connection from a proxy, a veth) makes it try them again at once, and while some are pending it
 * tries again on a timer that backs off (200 ms doubling to 5 s). A link that goes, or goes down, also
 * makes it verify the active targets' routes (a route goes with its link).
 */
import type { Logger } from 'pino';

import { messageOf, systemClock, type Clock, type TimerHandle } from '../../sdk/core/index.js';
import type { LinkEvent } from '../../sdk/kernel/index.js';
import type { TargetReconciler } from './reconciler.js';

export interface PendingRetryOptions {
  readonly reconciler: Pick<TargetReconciler, 'retryPending' | 'verify' | 'pendingCount'>;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

export class PendingRetry {
  private wake: (() => void) | undefined;
  /** True at first: the first round counts as prompted. */
  private poked = true;
  private verifyWanted = false;
  private readonly clock: Clock;

  constructor(private readonly options: PendingRetryOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Something changed that may let a pending target be routed (a link, a new target): try now. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Feeds link events in: every event retries; one that removes or downs a link also verifies. */
  onLinkEvent(event: LinkEvent): void {
    if (event.type === 'removed' || (event.type === 'changed' && !event.up)) this.verifyWanted = true;
    this.poke();
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const min = this.options.minDelayMs ?? 200;
    const max = this.options.maxDelayMs ?? 5000;
    let delay = min;
    while (!signal.aborted) {
      const prompted = this.poked;
      this.poked = false;
      await this.attempt();
      if (this.poked) continue;
      // A prompted round starts the backoff again; a round the timer started lengthens it.
      delay = prompted ? min : Math.min(delay * 2, max);
      const pending = this.options.reconciler.pendingCount() > 0;
      await this.waitForPoke(pending ? delay : undefined, signal);
    }
  }

  private async attempt(): Promise<void> {
    const { reconciler, logger } = this.options;
    try {
      if (this.verifyWanted) {
        this.verifyWanted = false;
        await reconciler.verify();
      }
      if (reconciler.pendingCount() > 0) await reconciler.retryPending();
    } catch (error) {
      logger.warn({ error: messageOf(error) }, 'retrying the pending targets failed');
    }
  }

  /** Resolves on a poke, on abort, or after `delayMs` when given. */
  private waitForPoke(delayMs: number | undefined, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = (): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      if (signal.aborted) return done();
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
      if (delayMs !== undefined) timer = this.clock.setTimeout(done, delayMs);
    });
  }
}
