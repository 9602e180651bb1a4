import { WorkQueue } from '../../../endpoints/operator/index.js';
import { FakeClock } from '../../../sdk/testing/index.js';

describe('WorkQueue', () => {
  test('a key is queued once however many times it is added, in first-added order', async () => {
    const queue = new WorkQueue();
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.length).toBe(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['a', 'b', 'c']);
  });

  test('a key added while it is processed comes back after done, never to a second worker at once', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    queue.add('a');
    expect(queue.length).toBe(0);
    let second: string | undefined;
    const waiting = queue.get().then((key) => (second = key));
    await Promise.resolve();
    expect(second).toBeUndefined();
    queue.done(first!);
    await waiting;
    expect(second).toBe('a');
    queue.done('a');
    expect(queue.isIdle()).toBe(true);
  });

  test('a waiting worker gets a key as soon as it is added', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.add('x');
    await expect(next).resolves.toBe('x');
  });

  test('retries back off per key (100 ms, 200 ms, 400 ms …, capped) and forget() starts again', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, initialRetryMs: 100, maxRetryMs: 300 });
    expect([queue.addRateLimited('a'), queue.addRateLimited('a'), queue.addRateLimited('a')]).toEqual([
      100, 200, 300,
    ]);
    expect(queue.addRateLimited('b')).toBe(100);
    expect(queue.failuresOf('a')).toBe(3);
    // Only the latest delay of a key counts: 'a' is due at 300 ms, 'b' at 100 ms.
    await clock.advance(100);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('b');
    await clock.advance(199);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(await queue.get()).toBe('a');
    queue.forget('a');
    expect(queue.addRateLimited('a')).toBe(100);
  });

  test('shutDown drops queued keys and pending retries, wakes idle workers and waits for busy ones', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.add('busy');
    const busy = await queue.get();
    queue.add('queued');
    queue.addRateLimited('later');
    let stopped = false;
    const stopping = queue.shutDown().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    expect(await queue.get()).toBeUndefined();
    queue.done(busy!);
    await stopping;
    expect(clock.pendingTimers).toBe(0);
    queue.add('after');
    expect(queue.length).toBe(0);
  });

  test('a worker waiting for a key gets undefined at shutdown', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    await queue.shutDown();
    await expect(waiting).resolves.toBeUndefined();
  });
});
