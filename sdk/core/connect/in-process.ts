import { runClose, runRequest } from '../chain.js';
import { type CancelFunction, Context } from '../context.js';
import { copyMessage } from '../copy/index.js';
import type { NetworkServiceClient, NetworkServiceServer } from '../element.js';

/**
 * The context the remote side of a call sees: the caller's cancellation, deadline, logger and clock,
 * but none of its values, as if the call had crossed a process boundary (the remote chain has its own
 * begin, metadata and trace state).
 */
function acrossBoundary(ctx: Context): [Context, CancelFunction] {
  const root = Context.background({ logger: ctx.logger, clock: ctx.clock });
  const [bounded, cancelBounded] =
    ctx.deadline === undefined ? root.withCancel() : root.withDeadline(ctx.deadline);
  const [remote, cancelRemote] = bounded.withCancel();
  const onAbort = (): void => cancelRemote(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  return [
    remote,
    (reason) => {
      ctx.signal.removeEventListener('abort', onAbort);
      cancelRemote(reason);
      cancelBounded(reason);
    },
  ];
}

/**
 * A terminal client element that calls an endpoint's server chain in this process instead of over gRPC:
 * the request and the returned connection are copied and the context's values are left behind, as on a
 * wire. It does not call next (it is where the client chain ends), and keeps no state.
 */
export function connectInProcess(endpoint: NetworkServiceServer): NetworkServiceClient {
  return {
    kind: 'client',
    name: 'connect-in-process',
    request: async (ctx, request) => {
      const [remote, done] = acrossBoundary(ctx);
      try {
        return copyMessage(await runRequest(endpoint, remote, copyMessage(request)));
      } finally {
        done();
      }
    },
    close: async (ctx, connection) => {
      const [remote, done] = acrossBoundary(ctx);
      try {
        await runClose(endpoint, remote, copyMessage(connection));
      } finally {
        done();
      }
    },
  };
}
