import { EventEmitter } from 'node:events';

import { CancelledError, Context, DeadlineExceededError } from '../../../sdk/core/index.js';
import { contextForCall, type ServedCall } from '../../../sdk/grpc/index.js';
import { DEADLINE_SKEW_MS } from '../../../sdk/grpc/call-context.js';

/** A served call whose deadline is `inMs` from now and whose cancel the test fires. */
function servedCall(inMs: number): ServedCall & { cancel(): void } {
  const events = new EventEmitter();
  const deadline = new Date(Date.now() + inMs);
  let cancelled = false;
  return {
    get cancelled() {
      return cancelled;
    },
    getDeadline: () => deadline,
    once: (event, listener) => events.once(event, listener),
    removeListener: (event, listener) => events.removeListener(event, listener),
    cancel() {
      cancelled = true;
      events.emit('cancelled');
    },
  };
}

describe('contextForCall', () => {
  it("takes a cancel that arrives just ahead of the server's deadline for the client's deadline", () => {
    const call = servedCall(DEADLINE_SKEW_MS / 2);
    const { ctx, end } = contextForCall(Context.background(), call, {});
    call.cancel();
    expect(ctx.signal.reason).toBeInstanceOf(DeadlineExceededError);
    end();
  });

  it('keeps an early cancel a cancel', () => {
    const call = servedCall(60_000);
    const { ctx, end } = contextForCall(Context.background(), call, {});
    call.cancel();
    expect(ctx.signal.reason).toBeInstanceOf(CancelledError);
    expect(ctx.signal.reason).not.toBeInstanceOf(DeadlineExceededError);
    end();
  });

  it('aborts the work the call left behind once the call is answered', () => {
    const call = servedCall(60_000);
    const { ctx, end } = contextForCall(Context.background(), call, {});
    expect(ctx.signal.aborted).toBe(false);
    end();
    expect(ctx.signal.reason).toBeInstanceOf(CancelledError);
    call.cancel();
    expect((ctx.signal.reason as Error).message).toBe('the call has been answered');
  });
});
