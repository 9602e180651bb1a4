import type { Context } from './context.js';
import { joinErrors } from './errors.js';
import type { Connection } from './types.js';

/**
 * An element whose own step failed after the rest of the chain had set the connection up undoes that
 * part: closes `connection` downstream, then throws `cause` (joined with the close's error if that
 * failed too). The close runs in a context that outlives the request's, since the request's deadline
 * or cancel may be what failed.
 */
export async function closeAfterFailure(
  ctx: Context,
  connection: Connection,
  close: (ctx: Context, connection: Connection) => Promise<void>,
  cause: unknown,
): Promise<never> {
  const [closeCtx, cancel] = ctx.postpone();
  try {
    await close(closeCtx, connection);
  } catch (closeError) {
    throw joinErrors(cause, closeError);
  } finally {
    cancel();
  }
  throw cause;
}
