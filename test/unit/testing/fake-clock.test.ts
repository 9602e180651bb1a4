import { Context, sleep } from '../../../sdk/core/index.js';
import { FakeClock } from '../../../sdk/testing/index.js';

describe('FakeClock', () => {
  it('fires due timers in time order, ties in the order they were set, and moves now() to each', async () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 100);
    await clock.advance(50);
    expect(fired).toEqual(['a@1010', 'b@1010', 'c@1030']);
    expect(clock.now()).toBe(1_050);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextDueInMs()).toBe(50);
  });

  it('lets promises settle between timers, so timers set by earlier timers fire in the same advance', async () => {
    const clock = new FakeClock();
    const steps: number[] = [];
    const chain = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(clock, 10);
        steps.push(clock.now());
      }
    })();
    const start = clock.now();
    await clock.advance(30);
    await chain;
    expect(steps).toEqual([start + 10, start + 20, start + 30]);
  });

  it('does not fire cleared timers and drives Context deadlines', async () => {
    const clock = new FakeClock();
    let fired = false;
    clock.clearTimeout(clock.setTimeout(() => (fired = true), 5));
    const [ctx, cancel] = Context.background({ clock }).withTimeout(100);
    await clock.advance(99);
    expect(ctx.cancelled).toBe(false);
    await clock.advance(1);
    expect(ctx.cancelled).toBe(true);
    expect(fired).toBe(false);
    cancel();
  });

  it('rejects a negative advance with a clear error', async () => {
    await expect(new FakeClock().advance(-1)).rejects.toThrow('non-negative');
  });
});
