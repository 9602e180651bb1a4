import { isDeepStrictEqual } from 'node:util';

import { copyMessage } from '../copy/index.js';
import type { Connection, ConnectionContext } from '../types.js';

/**
 * The connection a client's repeated Request sends: the current one (which internal refreshes and heals
 * may have changed since the caller last saw it), with the changes the caller made on purpose to what
 * begin last returned (endpoint name, connection context). The NSM SDK's three-way merge.
 */
export function mergeConnection(
  returned: Connection,
  requested: Connection,
  current: Connection,
): Connection {
  const merged = copyMessage(current);
  if (returned.network_service_endpoint_name !== requested.network_service_endpoint_name) {
    merged.network_service_endpoint_name = requested.network_service_endpoint_name;
  }
  merged.context = mergeContext(returned.context, requested.context, current.context);
  return merged;
}

function mergeContext(
  returned: ConnectionContext | null,
  requested: ConnectionContext | null,
  current: ConnectionContext | null,
): ConnectionContext | null {
  if (current === null) return requested === null ? null : copyMessage(requested);
  const merged = copyMessage(current);
  if (isDeepStrictEqual(returned, requested)) return merged;
  merged.ip_context = copyMessage(requested?.ip_context ?? null);
  merged.ethernet_context = copyMessage(requested?.ethernet_context ?? null);
  merged.dns_context = copyMessage(requested?.dns_context ?? null);
  merged.MTU = requested?.MTU ?? 0;
  merged.extra_context = mergeExtraContext(
    returned?.extra_context ?? {},
    requested?.extra_context ?? {},
    current.extra_context,
  );
  return merged;
}

/** Keys the caller changed or removed relative to what it was given are applied to the current map. */
function mergeExtraContext(
  returned: Record<string, string>,
  requested: Record<string, string>,
  current: Record<string, string>,
): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(returned)) {
    if (!(key in requested)) delete merged[key];
    else if (requested[key] !== value) merged[key] = requested[key]!;
  }
  return merged;
}
