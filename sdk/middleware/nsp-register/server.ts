import {
  type Connection,
  type Context,
  joinErrors,
  messageOf,
  type NetworkServiceServer,
  type Next,
  serverMetadata,
} from '../../core/index.js';
import { DEFAULTS } from '../../defaults.js';
import { describeTarget, type NspTarget, type TargetRegistrar } from '../../services/nsp/index.js';
import { loadTarget, storeTarget, takeTarget } from './metadata.js';
import { identifierOf, sameTarget, targetOf } from './target-of.js';

export interface NspRegisterOptions {
  /** Keeps each target registered (re-registers every keepalive/3); `createTargetRegistrar(nspClient)`. */
  readonly registrar: Pick<TargetRegistrar, 'register' | 'unregister'>;
  /** The largest identifier a target may send; default DEFAULTS.maxTargets. */
  readonly maxIdentifier?: number;
}

async function closeDownstream(
  ctx: Context,
  connection: Connection,
  next: Next,
  cause: unknown,
): Promise<never> {
  const [closeCtx, cancel] = ctx.postpone();
  try {
    await next.close(closeCtx, connection);
  } catch (closeError) {
    throw joinErrors(cause, closeError);
  } finally {
    cancel();
  }
  throw cause;
}

/**
 * On the proxy's endpoint side: registers the connecting target at the NSP — the addresses the proxy
 * gave it and the `identifier` from the connection's extra context — and keeps it registered; a new
 * connection the NSP refuses (ALREADY_EXISTS: another target holds the identifier) fails with the NSP's
 * error, so the target picks another identifier. A refresh that changes the addresses or the identifier
 * registers the new target. Close unregisters it.
 */
export function nspRegisterServer(options: NspRegisterOptions): NetworkServiceServer {
  const { registrar } = options;
  const maxIdentifier = options.maxIdentifier ?? DEFAULTS.maxTargets;
  return {
    kind: 'server',
    name: 'nspRegister',
    request: async (ctx, request, next) => {
      const identifier = identifierOf(request.connection!, maxIdentifier);
      const metadata = serverMetadata(ctx);
      const previous = loadTarget(metadata);
      const connection = await next.request(ctx, request);
      let target: NspTarget;
      try {
        target = targetOf(connection, identifier);
        // Unchanged: the registrar keeps it registered on its own.
        if (previous !== undefined && sameTarget(previous, target)) return connection;
        // Addresses changed: the old ones must go first, or the NSP would see them held by "another" target.
        if (previous !== undefined && previous.ips.join() !== target.ips.join()) {
          await registrar.unregister(previous, { signal: ctx.signal });
        }
        await registrar.register(target, { signal: ctx.signal });
      } catch (error) {
        if (previous === undefined) return closeDownstream(ctx, connection, next, error);
        await registrar.register(previous, { signal: ctx.signal }).catch(() => undefined);
        throw error;
      }
      storeTarget(metadata, target);
      ctx.logger.info({ connectionId: connection.id, target: describeTarget(target) }, 'target registered');
      return connection;
    },
    close: async (ctx, connection, next) => {
      const target = takeTarget(serverMetadata(ctx));
      try {
        if (target !== undefined) await registrar.unregister(target, { signal: ctx.signal });
      } catch (error) {
        ctx.logger.warn(
          { connectionId: connection.id, target: describeTarget(target!), error: messageOf(error) },
          'cannot unregister the target; the NSP drops it after its keepalive',
        );
      } finally {
        await next.close(ctx, connection);
      }
    },
  };
}
