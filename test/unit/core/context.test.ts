import { CancelledError, Context, contextKey, DeadlineExceededError } from '../../../sdk/core/index.js';
import { FakeClock } from '../../../sdk/testing/index.js';

describe('Context cancellation', () => {
  it('cancels a child with its parent, with the parent reason, and the child signal says so', () => {
    const [parent, cancelParent] = Context.background().withCancel();
    const [child] = parent.withValue({ name: 'k' }, 1).withCancel();
    const seen: unknown[] = [];
    child.signal.addEventListener('abort', () => seen.push(child.signal.reason));
    const reason = new CancelledError('the parent went away');
    cancelParent(reason);
    expect(parent.cancelled).toBe(true);
    expect(child.cancelled).toBe(true);
    expect(seen).toEqual([reason]);
    expect(() => child.throwIfCancelled()).toThrow(reason);
  });

  it('gives a signal asked for after the cancel that is already aborted with the reason', () => {
    const [ctx, cancel] = Context.background().withCancel();
    const reason = new CancelledError('answered');
    cancel(reason);
    cancel(new CancelledError('a second cancel changes nothing'));
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(reason);
  });

  it('shares the cancellation with contexts made by withValue, withLogger and withClock', () => {
    const [ctx, cancel] = Context.background().withCancel();
    const derived = ctx.withValue({ name: 'k' }, 'v').withClock(new FakeClock(0)).withLogger(ctx.logger);
    expect(derived.signal).toBe(ctx.signal);
    cancel();
    expect(derived.cancelled).toBe(true);
    expect(derived.signal.reason).toBeInstanceOf(CancelledError);
  });

  it('leaves the parent alone when a child is cancelled, and a cancelled child no longer follows it', () => {
    const [parent, cancelParent] = Context.background().withCancel();
    const [first, cancelFirst] = parent.withCancel();
    const [second] = parent.withCancel();
    const firstReason = new CancelledError('first done');
    cancelFirst(firstReason);
    expect(parent.cancelled).toBe(false);
    expect(second.cancelled).toBe(false);
    cancelParent(new CancelledError('parent done'));
    expect(first.signal.reason).toBe(firstReason);
    expect(second.cancelled).toBe(true);
  });

  it('makes a child of a cancelled parent cancelled at once', () => {
    const [parent, cancelParent] = Context.background().withCancel();
    const reason = new CancelledError('gone');
    cancelParent(reason);
    const [child] = parent.withCancel();
    expect(child.cancelled).toBe(true);
    expect(child.signal.reason).toBe(reason);
  });

  it('cancels on its deadline with DeadlineExceededError', async () => {
    const clock = new FakeClock(1_000);
    const [ctx] = Context.background({ clock }).withTimeout(50);
    await clock.advance(49);
    expect(ctx.cancelled).toBe(false);
    await clock.advance(1);
    expect(ctx.signal.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it('does not cancel what postpone and detach made when the context is cancelled', () => {
    const [ctx, cancel] = Context.background().withTimeout(60_000);
    const [postponed, cancelPostponed] = ctx.postpone();
    const detached = ctx.detach();
    cancel(new CancelledError('the call ended'));
    expect(postponed.cancelled).toBe(false);
    expect(detached.cancelled).toBe(false);
    expect(detached.signal.aborted).toBe(false);
    cancelPostponed();
    expect(postponed.cancelled).toBe(true);
  });
});

describe('Context values', () => {
  it('finds the latest value of a key, keeps the parent unchanged and carries values to children', () => {
    const name = contextKey<string>('test.name');
    const count = contextKey<number>('test.count');
    const root = Context.background();
    const first = root.withValue(name, 'first').withValue(count, 1);
    const second = first.withValue(name, 'second');
    expect(root.value(name)).toBeUndefined();
    expect(first.value(name)).toBe('first');
    expect(second.value(name)).toBe('second');
    expect(second.value(count)).toBe(1);
    const [child, cancel] = second.withTimeout(1_000);
    expect(child.value(name)).toBe('second');
    const [postponed, cancelPostponed] = child.postpone();
    expect(postponed.value(count)).toBe(1);
    expect(child.detach().value(name)).toBe('second');
    cancelPostponed();
    cancel();
  });

  it('tells keys apart by identity, not by name', () => {
    const one = contextKey<string>('same');
    const other = contextKey<string>('same');
    const ctx = Context.background().withValue(one, 'a');
    expect(ctx.value(one)).toBe('a');
    expect(ctx.value(other)).toBeUndefined();
  });
});
