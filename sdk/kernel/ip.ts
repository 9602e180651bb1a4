/**
 * IP addresses and prefixes as the kernel wants them (network-order bytes) and as people write them
 * (`10.0.0.1`, `fd00::1`, `10.0.0.0/24`). Bad input is an InvalidArgument naming the value.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { KernelInvalidArgumentError } from './errors.js';

export type IpFamily = 4 | 6;

export const AF_INET = 2;
export const AF_INET6 = 10;

export interface IpAddress {
  readonly family: IpFamily;
  readonly bytes: Buffer;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
  readonly text: string;
}

export interface IpPrefix {
  readonly address: IpAddress;
  readonly length: number;
}

export function addressFamily(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

export function ipFamilyOf(addressFamilyNumber: number | undefined): IpFamily {
  return addressFamilyNumber === AF_INET6 ? 6 : 4;
}

/** Parses an IPv4 or IPv6 address (no prefix length). `where` names the value's role for the error. */
export function parseIp(text: string, where = 'address', namespace = ''): IpAddress {
  if (isIPv4(text)) {
    const bytes = Buffer.from(text.split('.').map(Number));
    return { family: 4, bytes, text: formatIp(bytes) };
  }
  if (isIPv6(text)) {
    const bytes = ipv6Bytes(text);
    return { family: 6, bytes, text: formatIp(bytes) };
  }
  throw new KernelInvalidArgumentError(`The ${where} "${text}" is not an IPv4 or IPv6 address.`, {
    namespace,
  });
}

/**
 * Parses `address/length`; a bare address is a host prefix (/32 or /128). The address part is kept as
 * written (not masked), because interface addresses need the host bits.
 */
export function parsePrefix(text: string, where = 'prefix', namespace = ''): IpPrefix {
  const slash = text.indexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash), where, namespace);
  const max = address.family === 4 ? 32 : 128;
  if (slash < 0) return { address, length: max };
  const lengthText = text.slice(slash + 1);
  const length = Number(lengthText);
  if (!/^\d{1,3}$/.test(lengthText) || length > max) {
    throw new KernelInvalidArgumentError(
      `The ${where} "${text}" has an invalid prefix length: write a number from 0 to ${max}.`,
      { namespace },
    );
  }
  return { address, length };
}

/** `address/length` in canonical form. */
export function formatPrefix(prefix: IpPrefix): string {
  return `${prefix.address.text}/${prefix.length}`;
}

/** The network of a prefix: host bits cleared (what the kernel stores as a route destination). */
export function networkOf(prefix: IpPrefix): IpPrefix {
  const bytes = Buffer.from(prefix.address.bytes);
  for (let bit = prefix.length; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { address: { family: prefix.address.family, bytes, text: formatIp(bytes) }, length: prefix.length };
}

/** Text of a 4- or 16-byte address. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

function ipv6Bytes(text: string): Buffer {
  let body = text;
  const tailBytes: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    tailBytes.push(
      ...body
        .slice(lastColon + 1)
        .split('.')
        .map(Number),
    );
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const [headText, restText] = body.split('::') as [string, string | undefined];
  const head = headText === '' ? [] : headText.split(':');
  const rest = restText === undefined || restText === '' ? [] : restText.split(':');
  const missing = 8 - head.length - rest.length;
  const groups = [...head, ...Array<string>(restText === undefined ? 0 : missing).fill('0'), ...rest];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  if (tailBytes.length === 4) Buffer.from(tailBytes).copy(bytes, 12);
  return bytes;
}
