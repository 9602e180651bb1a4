import { InvalidCidrError } from './errors.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** A network in canonical form: `address` is the network address, so no host bits are set. */
export interface Cidr {
  /** Canonical text, e.g. `20.0.0.1/32` or `2000::1/128` (RFC 5952 for IPv6). */
  readonly cidr: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly family: IpFamily;
}

/**
 * Parses `address/prefix` strictly: dotted-quad IPv4 without leading zeros, IPv6 without a zone,
 * a decimal prefix in range, and no bit set beyond the prefix. Equal networks written differently
 * (`2000:0::1/128`, `2000::1/128`) give the same `cidr`, which is what duplicate detection compares.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) {
    throw new InvalidCidrError(text, 'the prefix length is missing (write e.g. 20.0.0.1/32 or 2000::1/128)');
  }
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const family: IpFamily = addressText.includes(':') ? 'ipv6' : 'ipv4';
  const bytes = family === 'ipv4' ? parseIpv4(text, addressText) : parseIpv6(text, addressText);
  const maxPrefix = bytes.length * 8;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    throw new InvalidCidrError(
      text,
      `the prefix length "${prefixText}" is not a number from 0 to ${maxPrefix}`,
    );
  }
  const prefixLength = Number(prefixText);
  const address = formatAddress(bytes);
  if (hasHostBits(bytes, prefixLength)) {
    const network = formatAddress(maskTo(bytes, prefixLength));
    throw new InvalidCidrError(text, `host bits are set (the network is ${network}/${prefixLength})`);
  }
  return { cidr: `${address}/${prefixLength}`, address, prefixLength, family };
}

function parseIpv4(text: string, address: string): Uint8Array {
  const parts = address.split('.');
  const valid =
    parts.length === 4 && parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
  if (!valid) throw new InvalidCidrError(text, `"${address}" is not an IPv4 address`);
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(text: string, address: string): Uint8Array {
  const invalid = (): InvalidCidrError => new InvalidCidrError(text, `"${address}" is not an IPv6 address`);
  if (address.includes('%'))
    throw new InvalidCidrError(text, `"${address}" has a zone, which a VIP cannot have`);
  const halves = address.split('::');
  if (halves.length > 2) throw invalid();
  const groupsOf = (half: string): number[] => {
    if (half === '') return [];
    const words: number[] = [];
    const parts = half.split(':');
    parts.forEach((part, index) => {
      if (index === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(text, part);
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        words.push(parseInt(part, 16));
      } else {
        throw invalid();
      }
    });
    return words;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) throw invalid();
  const explicit = head.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) throw invalid();
  const words = [...head, ...new Array<number>(8 - explicit).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, index) => {
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  });
  return bytes;
}

function hasHostBits(bytes: Uint8Array, prefixLength: number): boolean {
  return maskTo(bytes, prefixLength).some((byte, index) => byte !== bytes[index]);
}

function maskTo(bytes: Uint8Array, prefixLength: number): Uint8Array {
  return bytes.map((byte, index) => {
    const bitsInByte = Math.min(8, Math.max(0, prefixLength - index * 8));
    return byte & ((0xff << (8 - bitsInByte)) & 0xff);
  });
}

function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const words = Array.from({ length: 8 }, (_, index) => (bytes[index * 2]! << 8) | bytes[index * 2 + 1]!);
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted tail.
  if (words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes.subarray(12).join('.')}`;
  }
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::", the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8;) {
    let end = start;
    while (end < 8 && words[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
