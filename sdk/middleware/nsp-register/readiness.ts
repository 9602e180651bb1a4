import { type Connection, InvalidArgumentError } from '../../core/index.js';

/**
 * The extra-context key by which a target tells the proxy whether it can take traffic yet: `"false"`
 * on its first Request (its VIPs and source routes are not in place before its link exists), `"true"`
 * on the refresh it sends once they are. A request without the key is taken as ready, so clients that
 * do not know it are registered at once, as before.
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
