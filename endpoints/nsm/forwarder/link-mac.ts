import { createHash } from 'node:crypto';

import type { Connection } from '../../../sdk/core/index.js';

/** Which end of a connection's veth pair: the client's or the endpoint's. */
export type VethSide = 'client' | 'endpoint';

/**
 * The id that names a connection for as long as it lives, whatever makes it again: the first path
 * segment's (the id its client chose, e.g. `<target>-proxy`), which every hop keeps; this hop's id
 * when the connection has no path.
 */
export function lastingConnectionId(connection: Connection): string {
  return connection.path?.path_segments[0]?.id || connection.id;
}

/**
 * The MAC of one end of a connection's veth pair, derived from the connection's lasting id and the
 * side (sha256; locally administered, unicast): a link made again for the same connection — after its
 * endpoint, its client or the NSM restarted — has the MACs its peers have in their neighbour caches,
 * so traffic goes on at once instead of waiting for stale entries to expire.
 */
export function connectionMac(connectionId: string, side: VethSide): string {
  const bytes = createHash('sha256').update(`meridio veth ${side} ${connectionId}`).digest().subarray(0, 6);
  // Bit 0 of the first byte: group (multicast); bit 1: locally administered.
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}
