import { ResourceExhaustedError } from '../../../sdk/core/index.js';
import {
  formatPrefix,
  type IpAddress,
  type IpPrefix,
  prefixHoldsAddress,
  prefixSize,
} from '../../../sdk/services/common/index.js';

/**
 * The addresses of one prefix, handed out lowest first. Every address of the prefix is usable: a
 * point-to-point pair needs no network or broadcast address, as in NSM's ippool.
 */
export class AddressPool {
  private readonly taken = new Set<bigint>();

  constructor(readonly prefix: IpPrefix) {}

  get allocated(): number {
    return this.taken.size;
  }

  /** The two lowest free addresses outside `excluded`: [dst, src], the endpoint's side first. */
  takePair(excluded: readonly IpPrefix[]): [IpAddress, IpAddress] {
    const found: IpAddress[] = [];
    const end = this.prefix.network + prefixSize(this.prefix);
    for (let value = this.prefix.network; value < end && found.length < 2; value++) {
      const address: IpAddress = { family: this.prefix.family, value };
      if (this.taken.has(value) || excluded.some((prefix) => prefixHoldsAddress(prefix, address))) continue;
      found.push(address);
    }
    if (found.length < 2) {
      throw new ResourceExhaustedError(
        `the pool ${formatPrefix(this.prefix)} has no free pair of addresses left`,
      );
    }
    for (const address of found) this.taken.add(address.value);
    return [found[0]!, found[1]!];
  }

  /** Takes specific addresses (recovering a connection after a restart) if they are all in the pool and free. */
  tryTake(addresses: readonly IpAddress[]): boolean {
    const usable = addresses.every(
      (address) => prefixHoldsAddress(this.prefix, address) && !this.taken.has(address.value),
    );
    if (!usable || new Set(addresses.map((a) => a.value)).size !== addresses.length) return false;
    for (const address of addresses) this.taken.add(address.value);
    return true;
  }

  release(addresses: readonly IpAddress[]): void {
    for (const address of addresses) this.taken.delete(address.value);
  }
}
