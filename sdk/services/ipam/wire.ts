/**
 * ipam.proto writes a prefix as `Subnet { address, prefixLength }`, with the address bare, as
 * upstream Meridio sends it (`172.16.0.0`, 16). A CIDR in `address` (`172.16.0.0/16`) is accepted too
 * when `prefixLength` is 0 or the same length.
 */
import { InvalidArgumentError } from '../../core/index.js';
import { formatIpAddress, parsePrefix, type IpPrefix } from '../common/index.js';
import type { Subnet } from '../../../proto/gen/ipam/Subnet.js';

export function subnetToPrefix(
  subnet: { readonly address?: string; readonly prefixLength?: number } | null | undefined,
  what: string,
): IpPrefix {
  if (!subnet || !subnet.address) {
    throw new InvalidArgumentError(`the request has no ${what} (write it as address and prefixLength)`);
  }
  const { address } = subnet;
  const length = subnet.prefixLength ?? 0;
  if (address.includes('/')) {
    const prefix = parsePrefix(address, what);
    if (length !== 0 && length !== prefix.length) {
      throw new InvalidArgumentError(
        `${what} "${address}" disagrees with its prefixLength ${length}; give the length once`,
      );
    }
    return prefix;
  }
  return parsePrefix(`${address}/${length}`, what);
}

export function prefixToSubnet(prefix: IpPrefix): Required<Subnet> {
  return {
    address: formatIpAddress({ family: prefix.family, value: prefix.network }),
    prefixLength: prefix.length,
  };
}
