import type * as grpc from '@grpc/grpc-js';

import { CancelledError, type Context, DeadlineExceededError } from '../core/index.js';

/**
 * The reason work left behind by an answered call sees. One shared instance: building an Error (and its
 * stack) for every call cost more than the rest of the per-call context.
 */
const CALL_ANSWERED = new CancelledError('the call has been answered');

/**
 * How long before the server's copy of the deadline a cancel still counts as the deadline passing. The
 * server's deadline is the client's budget counted from when the call arrived, so it runs late by the
 * call's transit time; the client's own timer fires first and its RST_STREAM (a plain cancel on the
 * wire) can arrive ahead of the server's timer.
 */
export const DEADLINE_SKEW_MS = 100;

/** What a per-call context needs from a served grpc-js call (unary or streaming). */
export interface ServedCall {
  readonly cancelled: boolean;
  getDeadline(): grpc.Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

/** The wall-clock deadline of a served call in epoch milliseconds, or undefined when it has none. */
function deadlineOf(call: ServedCall): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The context one served call runs in, derived from `base` (its logger, clock and values; cancelling
 * `base` cancels the call's work too). Its deadline is the caller's, moved onto the base's clock by the
 * time that is left, so a fake clock in tests sees the same budget. Its signal aborts when the caller
 * cancels or the deadline passes (grpc-js reports both as "cancelled"). `end` must run when the call
 * is answered: it detaches from the call and from `base`, and aborts work the call left behind, as a
 * Go handler's context is cancelled when the handler returns.
 */
export function contextForCall(
  base: Context,
  call: ServedCall,
  logFields: Record<string, unknown>,
): { ctx: Context; end: () => void } {
  // A child logger costs more than the rest of the context; with logging off nobody would see its fields.
  const logged = base.logger.level === 'silent' ? base : base.withLogFields(logFields);
  const deadline = deadlineOf(call);
  const [ctx, cancel] =
    deadline === undefined ? logged.withCancel() : logged.withTimeout(deadline - Date.now());
  const onCancelled = (): void => {
    const late = deadline !== undefined && Date.now() >= deadline - DEADLINE_SKEW_MS;
    cancel(
      late
        ? new DeadlineExceededError("the caller's deadline was exceeded")
        : new CancelledError('the caller cancelled the call'),
    );
  };
  call.once('cancelled', onCancelled);
  if (call.cancelled) onCancelled();
  const end = (): void => {
    call.removeListener('cancelled', onCancelled);
    cancel(CALL_ANSWERED);
  };
  return { ctx, end };
}
