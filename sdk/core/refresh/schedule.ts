import { timestampToMs } from '../connection.js';
import type { Connection } from '../types.js';

/** How long after a failed refresh the next try starts, as in NSM. */
export const REFRESH_RETRY_MS = 200;

/**
 * When to refresh, in ms from `nowMs`, or undefined when no segment carries an expiry. A fraction of
 * the shortest remaining lifetime over the path: 1/3 for a single segment, otherwise
 * 0.2 + 0.2·index/segments, so hops nearer the client refresh sooner than the ones they feed (NSM's
 * heuristic against a cascade of redundant refreshes). An expiry already past refreshes at once.
 */
export function refreshDelayMs(connection: Connection, nowMs: number): number | undefined {
  const segments = connection.path?.path_segments ?? [];
  let shortest: number | undefined;
  for (const segment of segments) {
    const expiresMs = timestampToMs(segment.expires);
    if (expiresMs === undefined) continue;
    const remaining = expiresMs - nowMs;
    if (shortest === undefined || remaining < shortest) shortest = remaining;
  }
  if (shortest === undefined) return undefined;
  if (shortest <= 0) return 0;
  const index = connection.path?.index ?? 0;
  const scale = segments.length > 1 ? 0.2 + (0.2 * index) / segments.length : 1 / 3;
  return Math.floor(shortest * scale);
}
