import {
  type Connection,
  closeAfterFailure,
  contextOf,
  messageOf,
  type NetworkServiceServer,
  serverMetadata,
} from '../../core/index.js';
import { DEFAULTS } from '../../defaults.js';
import { describeTarget, type NspTarget, type TargetRegistrar } from '../../services/nsp/index.js';
import { loadRegistration, storeRegistration, takeRegisteredTarget } from './metadata.js';
import { READY_KEY, type Readiness, readinessOf } from './readiness.js';
import { identifierOf, sameTarget, targetOf } from './target-of.js';

export interface NspRegisterOptions {
  /** Keeps each target registered (re-registers every keepalive/3); `createTargetRegistrar(nspClient)`. */
  readonly registrar: Pick<TargetRegistrar, 'register' | 'unregister'>;
  /** The largest identifier a target may send; default DEFAULTS.maxTargets. */
  readonly maxIdentifier?: number;
}

/** Whether `previous` is what registering the connection now would register (false if it cannot say). */
function stillRegistered(
  previous: NspTarget | undefined,
  connection: Connection,
  identifier: string,
): boolean {
  if (previous === undefined) return false;
  try {
    return sameTarget(previous, targetOf(connection, identifier));
  } catch {
    return false;
  }
}

/** Tells a target that sent the readiness key whether it is registered now (see READY_KEY). */
function answer(connection: Connection, readiness: Readiness, registered: boolean): Connection {
  if (readiness !== 'unsaid') contextOf(connection).extra_context[READY_KEY] = String(registered);
  return connection;
}

/**
 * On the proxy's endpoint side: registers the connecting target at the NSP — the addresses the proxy
 * gave it and the `identifier` from the connection's extra context — once the target can take
 * traffic, and keeps it registered.
 *
 * Readiness (`ready` in the extra context, see READY_KEY): a request without the key registers at
 * once, so clients that do not send it work as before. With the key, the target is registered on a
 * request that says `"true"` for a connection this proxy already serves: on a connection new to it the
 * link is made only after this answer (a first request, or a target healing onto a restarted proxy), so
 * the target's route through it cannot be in yet. `"false"` never withdraws a registration. The
 * answer's `ready` says whether the target is registered now; `"false"` asks it for a ready refresh.
 *
 * A new connection the NSP refuses (ALREADY_EXISTS: another target holds the identifier) fails with
 * the NSP's error after its downstream is closed, so the target picks another identifier; a refresh
 * the NSP refuses keeps the connection and what was registered, and returns the error, so the target
 * can send another identifier on the same link. A refresh that changes the addresses or the
 * identifier registers the new target. Close unregisters the target if it was registered.
 */
export function nspRegisterServer(options: NspRegisterOptions): NetworkServiceServer {
  const { registrar } = options;
  const maxIdentifier = options.maxIdentifier ?? DEFAULTS.maxTargets;
  return {
    kind: 'server',
    name: 'nspRegister',
    request: async (ctx, request, next) => {
      const identifier = identifierOf(request.connection!, maxIdentifier);
      const readiness = readinessOf(request.connection!);
      const metadata = serverMetadata(ctx);
      const isNew = loadRegistration(metadata) === undefined;
      const previous = loadRegistration(metadata)?.target;
      const connection = await next.request(ctx, request);
      if (readiness === 'not-ready' || (readiness === 'ready' && isNew)) {
        storeRegistration(metadata, previous);
        if (previous === undefined) {
          ctx.logger.debug(
            { connectionId: connection.id, readiness },
            'registering the target once it is ready',
          );
        }
        return answer(connection, readiness, stillRegistered(previous, connection, identifier));
      }
      let target: NspTarget;
      try {
        target = targetOf(connection, identifier);
        // Unchanged: the registrar keeps it registered on its own.
        if (previous !== undefined && sameTarget(previous, target))
          return answer(connection, readiness, true);
        // Addresses changed: the old ones must go first, or the NSP would see them held by "another" target.
        if (previous !== undefined && previous.ips.join() !== target.ips.join()) {
          await registrar.unregister(previous, { signal: ctx.signal });
        }
        await registrar.register(target, { signal: ctx.signal });
      } catch (error) {
        if (isNew) return closeAfterFailure(ctx, connection, (c, conn) => next.close(c, conn), error);
        if (previous !== undefined) {
          await registrar.register(previous, { signal: ctx.signal }).catch(() => undefined);
        }
        throw error;
      }
      storeRegistration(metadata, target);
      ctx.logger.info({ connectionId: connection.id, target: describeTarget(target) }, 'target registered');
      return answer(connection, readiness, true);
    },
    close: async (ctx, connection, next) => {
      const target = takeRegisteredTarget(serverMetadata(ctx));
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
