import pino from 'pino';

import { UnavailableError } from '../../../sdk/core/index.js';
import { KeptRegistration } from '../../../sdk/registry/kept-registration.js';
import { FakeClock } from '../../../sdk/testing/index.js';

const logger = pino({ level: 'silent' });

/** A registry stand-in whose answers the test controls: each call waits for `answer` or `fail`. */
function scriptedRegistry() {
  const calls: Array<{ at: number; resolve: (value: number) => void; reject: (error: Error) => void }> = [];
  const releases: number[] = [];
  return {
    calls,
    releases,
    register: (clock: FakeClock) => () =>
      new Promise<number>((resolve, reject) => calls.push({ at: clock.now(), resolve, reject })),
    release: async (last: number) => {
      releases.push(last);
    },
  };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('KeptRegistration', () => {
  it('registers again every interval, retries with backoff after a failure, and releases once on close', async () => {
    const clock = new FakeClock();
    const registry = scriptedRegistry();
    const starting = KeptRegistration.start<number>({
      register: registry.register(clock),
      intervalAfter: () => 1000,
      release: registry.release,
      clock,
      logger,
      retry: { initialMs: 100, maxMs: 100 },
    });
    registry.calls[0]?.resolve(1);
    const kept = await starting;
    expect(kept.last).toBe(1);

    await clock.advance(999);
    expect(registry.calls).toHaveLength(1);
    await clock.advance(1);
    expect(registry.calls).toHaveLength(2);
    registry.calls[1]?.reject(new UnavailableError('registry away'));
    await flush();
    await clock.advance(100);
    expect(registry.calls).toHaveLength(3);
    expect(registry.calls[2]?.at).toBeGreaterThan(registry.calls[1]?.at ?? Infinity);
    expect(registry.calls[2]?.at).toBeLessThanOrEqual((registry.calls[1]?.at ?? 0) + 100);
    registry.calls[2]?.resolve(3);
    await flush();
    expect(kept.last).toBe(3);

    // A registration in flight when close is called settles before the release, so none lands after it.
    await clock.advance(1000);
    expect(registry.calls).toHaveLength(4);
    const closing = kept.close();
    await flush();
    expect(registry.releases).toEqual([]);
    registry.calls[3]?.resolve(4);
    await closing;
    await kept.close();
    expect(registry.releases).toEqual([3]);
    await clock.advance(10_000);
    expect(registry.calls).toHaveLength(4);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails to start with the first error, and closes when its signal aborts', async () => {
    const clock = new FakeClock();
    const registry = scriptedRegistry();
    const failing = KeptRegistration.start<number>({
      register: registry.register(clock),
      intervalAfter: () => 1000,
      clock,
      logger,
    });
    registry.calls[0]?.reject(new UnavailableError('registry away'));
    await expect(failing).rejects.toThrow('registry away');

    const controller = new AbortController();
    const starting = KeptRegistration.start<number>({
      register: registry.register(clock),
      intervalAfter: () => 1000,
      release: registry.release,
      clock,
      logger,
      signal: controller.signal,
    });
    registry.calls[1]?.resolve(7);
    await starting;
    controller.abort();
    await flush();
    expect(registry.releases).toEqual([7]);
    expect(clock.pendingTimers).toBe(0);
  });
});
