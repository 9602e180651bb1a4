/**
 * IP addresses and prefixes as BigInt values, so IPv4 and IPv6 share one arithmetic. Parsing is strict
 * (no leading zeros in IPv4 octets, no IPv6 zone) and formatting canonical (RFC 5952 for IPv6), so two
 * spellings of one address always compare equal after a round trip.
 */
import { InvalidArgumentError } from '../../core/index.js';

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** A network prefix: `network` has no host bits set. */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly network: bigint;
  readonly length: number;
}

/** An interface address as NSM writes it: an address with an optional prefix length (`172.16.1.2/24`). */
export interface InterfaceAddress {
  readonly address: IpAddress;
  readonly length: number | undefined;
}

export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

const IPV4_OCTET = /^(0|[1-9]\d{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!IPV4_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** `mayEndInIpv4`: only the last section of an address may end in dotted IPv4 (`::ffff:1.2.3.4`). */
function parseIpv6Groups(text: string, mayEndInIpv4: boolean): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [index, part] of parts.entries()) {
    if (mayEndInIpv4 && index === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (IPV6_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseIpv6Groups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseIpv6Groups(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  // "::" stands for at least one zero group; without it the address must have all eight.
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** Parses an IPv4 or IPv6 address; undefined when `text` is neither. */
export function tryParseIpAddress(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

export function parseIpAddress(text: string, what = 'address'): IpAddress {
  const address = tryParseIpAddress(text);
  if (address === undefined) {
    throw new InvalidArgumentError(`${what} "${text}" is not a valid IPv4 or IPv6 address`);
  }
  return address;
}

function parseLength(text: string, family: IpFamily): number | undefined {
  if (!/^(0|[1-9]\d{0,2})$/.test(text)) return undefined;
  const length = Number(text);
  return length <= familyBits(family) ? length : undefined;
}

/** Parses `address` or `address/length` (host bits allowed: this is an interface's address). */
export function parseInterfaceAddress(text: string, what = 'address'): InterfaceAddress {
  const [addressText = '', lengthText, ...rest] = text.split('/');
  const address = tryParseIpAddress(addressText);
  const length =
    lengthText === undefined || address === undefined ? undefined : parseLength(lengthText, address.family);
  if (address === undefined || rest.length > 0 || (lengthText !== undefined && length === undefined)) {
    throw new InvalidArgumentError(
      `${what} "${text}" is not a valid IP address (write 172.16.1.2, 172.16.1.2/24, fd00::2 or fd00::2/64)`,
    );
  }
  return { address, length };
}

function hostMask(family: IpFamily, length: number): bigint {
  return (1n << BigInt(familyBits(family) - length)) - 1n;
}

/** Builds a prefix from an address and a length; refuses host bits, naming the prefix it probably meant. */
export function prefixOf(address: IpAddress, length: number, what = 'prefix'): IpPrefix {
  const bits = familyBits(address.family);
  if (!Number.isInteger(length) || length < 0 || length > bits) {
    throw new InvalidArgumentError(
      `${what} ${formatIpAddress(address)}/${length} has an invalid prefix length: IPv${address.family} allows 0 to ${bits}`,
    );
  }
  const mask = hostMask(address.family, length);
  if ((address.value & mask) !== 0n) {
    const network = { family: address.family, network: address.value & ~mask, length };
    throw new InvalidArgumentError(
      `${what} ${formatIpAddress(address)}/${length} has host bits set; did you mean ${formatPrefix(network)}?`,
    );
  }
  return { family: address.family, network: address.value, length };
}

/** Parses a CIDR (`172.16.0.0/16`, `fd00::/48`) whose host bits are zero. */
export function parsePrefix(text: string, what = 'prefix'): IpPrefix {
  const [addressText = '', lengthText, ...rest] = text.split('/');
  const address = tryParseIpAddress(addressText);
  if (address === undefined || lengthText === undefined || rest.length > 0) {
    throw new InvalidArgumentError(`${what} "${text}" is not a CIDR (write 172.16.0.0/16 or fd00::/48)`);
  }
  const length = parseLength(lengthText, address.family);
  if (length === undefined) {
    throw new InvalidArgumentError(
      `${what} "${text}" has an invalid prefix length: IPv${address.family} allows 0 to ${familyBits(address.family)}`,
    );
  }
  return prefixOf(address, length, what);
}

function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, index) =>
    Number((value >> BigInt(112 - 16 * index)) & 0xffffn),
  );
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = Math.max(start, end);
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatIpAddress(address: IpAddress): string {
  if (address.family === 6) return formatIpv6(address.value);
  return [24n, 16n, 8n, 0n].map((shift) => Number((address.value >> shift) & 0xffn)).join('.');
}

export function formatPrefix(prefix: IpPrefix): string {
  return `${formatIpAddress({ family: prefix.family, value: prefix.network })}/${prefix.length}`;
}

export function formatInterfaceAddress(address: InterfaceAddress): string {
  const text = formatIpAddress(address.address);
  return address.length === undefined ? text : `${text}/${address.length}`;
}

/** The last address of the prefix. */
export function prefixEnd(prefix: IpPrefix): bigint {
  return prefix.network | hostMask(prefix.family, prefix.length);
}

/** How many addresses the prefix holds. */
export function prefixSize(prefix: IpPrefix): bigint {
  return 1n << BigInt(familyBits(prefix.family) - prefix.length);
}

export function prefixContains(outer: IpPrefix, inner: IpPrefix): boolean {
  return (
    outer.family === inner.family &&
    outer.length <= inner.length &&
    inner.network >= outer.network &&
    prefixEnd(inner) <= prefixEnd(outer)
  );
}

/** Whether `address` is one of the prefix's addresses (never across families). */
export function prefixHoldsAddress(prefix: IpPrefix, address: IpAddress): boolean {
  return (
    prefix.family === address.family && address.value >= prefix.network && address.value <= prefixEnd(prefix)
  );
}

export function prefixesOverlap(a: IpPrefix, b: IpPrefix): boolean {
  return a.family === b.family && a.network <= prefixEnd(b) && b.network <= prefixEnd(a);
}

/** The address `offset` places after the prefix's network address (offset 1 is the bridge's `.1`/`::1`). */
export function addressInPrefix(prefix: IpPrefix, offset: bigint): IpAddress {
  if (offset < 0n || offset >= prefixSize(prefix)) {
    throw new InvalidArgumentError(`offset ${offset} is outside ${formatPrefix(prefix)}`);
  }
  return { family: prefix.family, value: prefix.network + offset };
}
