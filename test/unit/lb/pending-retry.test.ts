import pino from 'pino';

import { PendingRetry } from '../../../endpoints/lb/index.js';
import type { LinkEvent, LinkInfo } from '../../../sdk/kernel/index.js';
import { FakeClock } from '../../../sdk/testing/index.js';

/** A reconciler stand-in that counts calls; `pending` targets stay pending until `routable`. */
class CountingReconciler {
  pending = 0;
  routable = false;
  retries = 0;
  verifies = 0;
  retryTimes: number[] = [];

  constructor(private readonly clock: FakeClock) {}

  pendingCount(): number {
    return this.pending;
  }

  async retryPending(): Promise<void> {
    this.retries++;
    this.retryTimes.push(this.clock.now());
    if (this.routable) this.pending = 0;
  }

  async verify(): Promise<number> {
    this.verifies++;
    return 0;
  }
}

function linkEvent(type: LinkEvent['type'], up: boolean): LinkEvent {
  return { type, index: 7, name: 'proxy-abc', up, link: {} as LinkInfo };
}

function setup() {
  const clock = new FakeClock();
  const reconciler = new CountingReconciler(clock);
  const retry = new PendingRetry({ reconciler, logger: pino({ level: 'silent' }), clock });
  const stop = new AbortController();
  const running = retry.run(stop.signal);
  return { clock, reconciler, retry, stop, running, start: clock.now() };
}

describe('PendingRetry', () => {
  it('waits without a timer while nothing is pending, and tries at once when poked', async () => {
    const { clock, reconciler, retry, stop, running } = setup();
    await clock.advance(0);
    expect(clock.pendingTimers).toBe(0);
    expect(reconciler.retries).toBe(0);

    reconciler.pending = 1;
    retry.poke();
    await clock.advance(0);
    expect(reconciler.retries).toBe(1);
    stop.abort();
    await running;
  });

  it('retries pending targets on a timer that doubles from 200 ms up to 5 s, and starts again at 200 ms after a link event', async () => {
    const { clock, reconciler, retry, stop, running, start } = setup();
    reconciler.pending = 1;
    retry.poke();
    await clock.advance(0);
    await clock.advance(10_000);
    const offsets = reconciler.retryTimes.map((time) => time - start);
    expect(offsets).toEqual([0, 200, 600, 1400, 3000, 6200]);
    await clock.advance(20_000);
    const gaps = reconciler.retryTimes.slice(-3).map((time, i, all) => (i === 0 ? 0 : time - all[i - 1]!));
    expect(gaps.slice(1)).toEqual([5000, 5000]);

    const before = reconciler.retries;
    retry.onLinkEvent(linkEvent('added', false));
    await clock.advance(0);
    expect(reconciler.retries).toBe(before + 1);
    expect(clock.nextDueInMs()).toBe(200);

    reconciler.routable = true;
    await clock.advance(200);
    expect(reconciler.pending).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    stop.abort();
    await running;
  });

  it('verifies the active targets when a link goes or goes down, not when one comes up', async () => {
    const { clock, reconciler, retry, stop, running } = setup();
    retry.onLinkEvent(linkEvent('added', true));
    retry.onLinkEvent(linkEvent('changed', true));
    await clock.advance(0);
    expect(reconciler.verifies).toBe(0);
    retry.onLinkEvent(linkEvent('changed', false));
    await clock.advance(0);
    expect(reconciler.verifies).toBe(1);
    retry.onLinkEvent(linkEvent('removed', false));
    await clock.advance(0);
    expect(reconciler.verifies).toBe(2);
    stop.abort();
    await running;
  });

  it('ends when its signal aborts, also while a retry timer is pending', async () => {
    const { clock, reconciler, retry, stop, running } = setup();
    reconciler.pending = 1;
    retry.poke();
    await clock.advance(0);
    expect(clock.pendingTimers).toBe(1);
    stop.abort();
    await running;
    expect(clock.pendingTimers).toBe(0);
  });
});
