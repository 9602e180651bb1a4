import { type Connection, InvalidArgumentError } from '../../core/index.js';

/**
 * The extra-context key by which a target and its proxy agree on when the target is registered at the
 * NSP. In a request, the target says whether it can take traffic: `"false"` on its first Request (its
 * VIPs and source route need the link, which is made after the proxy answers), `"true"` once they are
 * in. In the answer, the proxy says whether the target is registered now; `"false"` asks the target
 * for a refresh saying `"true"`. A request without the key is registered at once, as before the key.
 */
export const READY_KEY = 'ready';

/** What a request says about its target's readiness. */
export type Readiness = 'ready' | 'not-ready' | 'unsaid';

export function readinessOf(connection: Connection): Readiness {
  const value = connection.context?.extra_context[READY_KEY];
  if (value === undefined) return 'unsaid';
  if (value === 'true') return 'ready';
  if (value === 'false') return 'not-ready';
  throw new InvalidArgumentError(
    `the connection's extra context says "${READY_KEY}": "${value}"; a target says "true" or "false" (or leaves it out to be registered at once)`,
  );
}
