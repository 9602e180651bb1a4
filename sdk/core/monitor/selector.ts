import type { Connection, PathSegment } from '../types.js';

/** Which connections a monitor subscriber sees (the wire's MonitorScopeSelector; every field optional). */
export interface MonitorSelector {
  readonly path_segments?: readonly Partial<Pick<PathSegment, 'name' | 'id' | 'token'>>[];
  readonly network_services?: readonly string[];
}

function fieldMatches(wanted: string | undefined, actual: string): boolean {
  return wanted === undefined || wanted === '' || wanted === actual;
}

/**
 * NSM's selector semantics: the selector's path segments must appear as a contiguous run of the
 * connection's path segments, an empty (or missing) name, id or token matching anything; an empty
 * `network_services` list matches every service, otherwise the connection's service must be listed.
 */
export function matchesSelector(connection: Connection, selector: MonitorSelector): boolean {
  const services = selector.network_services ?? [];
  if (services.length > 0 && !services.includes(connection.network_service)) return false;
  const wanted = selector.path_segments ?? [];
  if (wanted.length === 0) return true;
  const segments = connection.path?.path_segments ?? [];
  for (let start = 0; start + wanted.length <= segments.length; start++) {
    const matches = wanted.every((w, offset) => {
      const segment = segments[start + offset]!;
      return (
        fieldMatches(w.name, segment.name) &&
        fieldMatches(w.id, segment.id) &&
        fieldMatches(w.token, segment.token)
      );
    });
    if (matches) return true;
  }
  return false;
}
