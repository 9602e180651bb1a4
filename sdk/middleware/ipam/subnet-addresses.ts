import { randomBytes } from 'node:crypto';

import { InvalidArgumentError, ResourceExhaustedError } from '../../core/index.js';
import {
  addressInPrefix,
  formatIpAddress,
  formatPrefix,
  type IpAddress,
  type IpFamily,
  type IpPrefix,
  parseInterfaceAddress,
  parsePrefix,
  prefixSize,
} from '../../services/common/index.js';

/** Offset of the bridge's address (`.1`, `::1`): the first usable address of the subnet. */
const BRIDGE_OFFSET = 1n;

function randomBelow(limit: bigint): bigint {
  const bytes = randomBytes(16);
  return BigInt(`0x${bytes.toString('hex')}`) % limit;
}

/**
 * The addresses of one subnet and who holds each. The network address, the bridge's address and,
 * for IPv4, the broadcast address are never handed out. New addresses are taken after a cursor that
 * starts at a random place, so a proxy that restarted does not hand a target's address to a newcomer
 * before that target came back for it.
 */
export class SubnetAddresses {
  readonly prefix: IpPrefix;
  readonly family: IpFamily;
  /** `172.16.3.1/24`: the bridge's address with the subnet's prefix length. */
  readonly bridgeAddress: string;
  private readonly first = BRIDGE_OFFSET + 1n;
  private readonly last: bigint;
  private readonly owners = new Map<bigint, string>();
  private cursor: bigint;

  constructor(subnet: string) {
    this.prefix = parsePrefix(subnet, 'proxy subnet');
    this.family = this.prefix.family;
    const size = prefixSize(this.prefix);
    this.last = this.family === 4 ? size - 2n : size - 1n;
    if (this.last < this.first) {
      throw new InvalidArgumentError(
        `the proxy subnet ${formatPrefix(this.prefix)} is too small: it needs room for the bridge's address and at least one more`,
      );
    }
    this.bridgeAddress = this.cidrOf(BRIDGE_OFFSET);
    // Within the first 65536 usable addresses, so IPv6 addresses stay short to read (fd00:0:0:3::a1b2).
    const span = this.last - this.first + 1n;
    this.cursor = this.first + randomBelow(span < 65_536n ? span : 65_536n);
  }

  get subnet(): string {
    return formatPrefix(this.prefix);
  }

  /** The offset of `text` (an address, with or without prefix length) in this subnet, if it lies in it. */
  offsetOf(text: string): bigint | undefined {
    let address: IpAddress;
    try {
      address = parseInterfaceAddress(text).address;
    } catch {
      return undefined;
    }
    if (address.family !== this.family) return undefined;
    const offset = address.value - this.prefix.network;
    return offset >= 0n && offset < prefixSize(this.prefix) ? offset : undefined;
  }

  /** Whether `text` lies in this subnet (usable or not). */
  covers(text: string): boolean {
    return this.offsetOf(text) !== undefined;
  }

  /** `owner` takes `offset` if it is usable and free (or already its own). */
  claim(owner: string, offset: bigint): boolean {
    if (offset < this.first || offset > this.last) return false;
    const holder = this.owners.get(offset);
    if (holder !== undefined && holder !== owner) return false;
    this.owners.set(offset, owner);
    return true;
  }

  /** A free address for `owner`; ResourceExhaustedError when every usable address is held. */
  allocate(owner: string): bigint {
    const count = this.last - this.first + 1n;
    if (BigInt(this.owners.size) >= count) {
      throw new ResourceExhaustedError(
        `the proxy subnet ${this.subnet} has no free address left (${count} usable addresses, all in use)`,
      );
    }
    let offset = this.cursor;
    while (this.owners.has(offset)) offset = offset === this.last ? this.first : offset + 1n;
    this.owners.set(offset, owner);
    this.cursor = offset === this.last ? this.first : offset + 1n;
    return offset;
  }

  release(owner: string, offset: bigint): void {
    if (this.owners.get(offset) === owner) this.owners.delete(offset);
  }

  /** `address/prefixLength` of an offset. */
  cidrOf(offset: bigint): string {
    return `${formatIpAddress(addressInPrefix(this.prefix, offset))}/${this.prefix.length}`;
  }

  get inUse(): number {
    return this.owners.size;
  }
}
