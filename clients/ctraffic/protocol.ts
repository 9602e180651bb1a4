/**
 * The ctraffic echo protocol (Nordix/ctraffic): the client sends packets of `packetSize` bytes; the
 * server overwrites the first 64 bytes of the connection's first packet with its host name, NUL-padded,
 * and echoes everything else unchanged. The client learns which backend answered from that header.
 */
export const HOST_HEADER_BYTES = 64;
export const MIN_PACKET_SIZE = 64;

/** The host name as a NUL-padded 64-byte header (longer names are cut at 63 bytes, keeping one NUL). */
export function encodeHostHeader(hostname: string): Buffer {
  const header = Buffer.alloc(HOST_HEADER_BYTES);
  header.write(hostname, 0, HOST_HEADER_BYTES - 1, 'utf8');
  return header;
}

/** The host name in a reply: the bytes before the first NUL of its first 64 bytes. */
export function decodeHostHeader(reply: Buffer): string {
  const head = reply.subarray(0, Math.min(HOST_HEADER_BYTES, reply.length));
  const end = head.indexOf(0);
  return head.subarray(0, end === -1 ? head.length : end).toString('utf8');
}
