import { isIPv4, isIPv6 } from 'node:net';

import { InvalidArgumentError } from '../../../sdk/core/index.js';

export type IpFamily = 4 | 6;

/** An IP address as a number, so pools can count and compare. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** A prefix with its host bits cleared. */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly network: bigint;
  readonly length: number;
}

export function bitsOf(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

function parseIPv4(text: string): bigint {
  return text.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function parseIPv6(text: string): bigint {
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hex groups first.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let normalized = text;
  if (dotted) {
    const v4 = parseIPv4(dotted[1]!);
    normalized = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = normalized.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros =
    tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].reduce(
    (value, group) => (value << 16n) | BigInt(`0x${group}`),
    0n,
  );
}

export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, value: parseIPv4(text) };
  if (isIPv6(text)) return { family: 6, value: parseIPv6(text) };
  return undefined;
}

/** IPv4 dotted quad, or IPv6 in RFC 5952 form (lower case, longest zero run as "::"). */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((address.value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8;) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** `addr/len` as a prefix with host bits cleared, or undefined when it is not one. */
export function parsePrefix(text: string): IpPrefix | undefined {
  const [addressText = '', lengthText, extra] = text.trim().split('/');
  const address = parseIp(addressText);
  if (!address || lengthText === undefined || extra !== undefined || !/^\d{1,3}$/.test(lengthText))
    return undefined;
  const length = Number(lengthText);
  const bits = bitsOf(address.family);
  if (length > bits) return undefined;
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  return { family: address.family, network: address.value & ~hostMask, length };
}

export function parsePrefixOrThrow(text: string, what: string): IpPrefix {
  const prefix = parsePrefix(text);
  if (!prefix) {
    throw new InvalidArgumentError(
      `${what} "${text}" is not an IP prefix: write it as 172.16.0.0/24 or fd00::/64`,
    );
  }
  return prefix;
}

export function prefixSize(prefix: IpPrefix): bigint {
  return 1n << BigInt(bitsOf(prefix.family) - prefix.length);
}

export function contains(prefix: IpPrefix, address: IpAddress): boolean {
  return (
    prefix.family === address.family &&
    address.value >= prefix.network &&
    address.value < prefix.network + prefixSize(prefix)
  );
}

/** A single address as the host prefix NSM writes into IP contexts: `10.0.0.1/32`, `fd00::1/128`. */
export function hostPrefix(address: IpAddress): string {
  return `${formatIp(address)}/${bitsOf(address.family)}`;
}
