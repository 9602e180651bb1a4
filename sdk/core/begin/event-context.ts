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
  const [detached, cancelDetached] = requestCtx.detach().withTimeout(timeoutMs);
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
