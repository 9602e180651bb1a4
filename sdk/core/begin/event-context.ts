import type { CancelFunction, Context } from '../context.js';

/**
 * The context an event runs on: the values, logger and clock of the connection's last request, but not
 * its signal or deadline (that request finished long ago); cancelled when the chain's lifetime ends and
 * bounded by `timeoutMs`.
 */
export function eventContext(
  requestCtx: Context,
  timeoutMs: number,
  lifetime: AbortSignal | undefined,
): [Context, CancelFunction] {
  // `postpone` keeps values, logger and clock and drops the signal; on a context whose deadline has
  // passed it grants exactly its fallback budget, which is the event timeout we want.
  const [expired, cancelExpired] = requestCtx.withDeadline(0);
  cancelExpired();
  const [detached, cancelDetached] = expired.postpone(timeoutMs);
  const [ctx, cancel] = detached.withCancel();
  const onLifetimeEnd = (): void => cancel(lifetime?.reason);
  if (lifetime?.aborted) onLifetimeEnd();
  else lifetime?.addEventListener('abort', onLifetimeEnd, { once: true });
  return [
    ctx,
    (reason) => {
      lifetime?.removeEventListener('abort', onLifetimeEnd);
      cancel(reason);
      cancelDetached(reason);
    },
  ];
}
