import { DEFAULTS } from '../defaults.js';
import { nativeBinding } from './native.js';

/** The fields of a packet the flow hash is computed over, exactly as the queue threads see them. */
export interface FlowFields {
  family: 4 | 6;
  /** Textual addresses (IPv4 dotted, IPv6 as eight lower-case hex groups). */
  source: string;
  destination: string;
  /** The 16-byte key form: IPv4 addresses are IPv4-mapped (::ffff:a.b.c.d). */
  sourceBytes: Uint8Array;
  destinationBytes: Uint8Array;
  protocol: number;
  /** 0 when the protocol has no ports, the packet is a fragment, or the header was not captured. */
  sourcePort: number;
  destinationPort: number;
  /** Hashed without ports because the packet is a fragment (first fragments included). */
  fragment: boolean;
  /** Keyed on the packet quoted by an ICMP error, swapped so it follows the flow it belongs to. */
  icmpError: boolean;
  /** The transport header was beyond the captured bytes (so no ports). */
  truncated: boolean;
  hash: number;
}

const FLAG_FRAGMENT = 1;
const FLAG_ICMP_ERROR = 2;
const FLAG_TRUNCATED = 4;

const result = new Uint32Array(13);

/**
 * Parses an IP packet as the queue threads do and returns its flow fields and hash, or undefined when
 * the bytes are not a complete IPv4/IPv6 header (the queue then hashes an all-zero key).
 */
export function hashPacket(
  packet: Uint8Array,
  hashSeed: number = DEFAULTS.maglevSeed,
): FlowFields | undefined {
  if (!nativeBinding().hashPacket(packet, hashSeed, result)) return undefined;
  const family = result[8] === 4 ? 4 : 6;
  const sourceBytes = wordsToBytes(result, 0);
  const destinationBytes = wordsToBytes(result, 4);
  const flags = result[11];
  return {
    family,
    source: formatKeyAddress(sourceBytes, family),
    destination: formatKeyAddress(destinationBytes, family),
    sourceBytes,
    destinationBytes,
    protocol: result[9],
    sourcePort: result[10] >>> 16,
    destinationPort: result[10] & 0xffff,
    fragment: (flags & FLAG_FRAGMENT) !== 0,
    icmpError: (flags & FLAG_ICMP_ERROR) !== 0,
    truncated: (flags & FLAG_TRUNCATED) !== 0,
    hash: result[12],
  };
}

function wordsToBytes(words: Uint32Array, first: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) view.setUint32(i * 4, words[first + i]);
  return bytes;
}

function formatKeyAddress(bytes: Uint8Array, family: 4 | 6): string {
  if (family === 4) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(i * 2).toString(16));
  return groups.join(':');
}
