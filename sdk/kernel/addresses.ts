/**
 * Interface addresses in one namespace. `add` has replace semantics (adding an address that is there
 * updates its flags instead of failing); `delete` of an absent address returns false.
 */
import type { rt } from 'netlink';
import { isNotFound } from './errors.js';
import { addressFamily, formatIp, ipFamilyOf, parsePrefix, type IpFamily, type IpPrefix } from './ip.js';
import { describeLink, type LinkRef } from './link-names.js';
import type { Links } from './links.js';
import { CREATE_OR_REPLACE, type NetnsContext } from './netns-context.js';

export interface AddressOptions {
  /**
   * IPv6 only: skip duplicate address detection (`nodad`), so the address is usable at once instead
   * of staying "tentative" for a second or more.
   */
  nodad?: boolean;
}

export interface AddressInfo {
  readonly linkIndex: number;
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
  /** `address/prefixLength`. */
  readonly cidr: string;
  readonly nodad: boolean;
  readonly tentative: boolean;
  readonly dadFailed: boolean;
  readonly permanent: boolean;
}

export class Addresses {
  constructor(
    private readonly netns: NetnsContext,
    private readonly links: Links,
  ) {}

  /**
   * Adds `cidr` (e.g. `172.16.1.2/24`, `fd00:1::2/64`) to `link`, or updates it if present. The kernel
   * also adds the prefix route; both go away with `delete`, or with the link.
   */
  async add(link: LinkRef, cidr: string, options: AddressOptions = {}): Promise<void> {
    const prefix = parsePrefix(cidr, 'address', this.netns.label);
    const index = await this.links.indexOf(link);
    const flags: rt.AddressFlags = options.nodad && prefix.address.family === 6 ? { nodad: true } : {};
    await this.netns.request(`add address ${cidr} to ${describeLink(link)}`, (socket) =>
      socket.newAddress(addressHeader(prefix, index, flags), addressAttrs(prefix), CREATE_OR_REPLACE),
    );
  }

  /** Removes `cidr` from `link`. Returns false when it was not there (or the link is gone). */
  async delete(link: LinkRef, cidr: string): Promise<boolean> {
    const prefix = parsePrefix(cidr, 'address', this.netns.label);
    try {
      const index = await this.links.indexOf(link);
      await this.netns.request(`delete address ${cidr} from ${describeLink(link)}`, (socket) =>
        socket.delAddress(addressHeader(prefix, index, {}), addressAttrs(prefix)),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The addresses of `link` (of every link when omitted), optionally of one family. */
  async list(link?: LinkRef, family?: IpFamily): Promise<AddressInfo[]> {
    const index = link === undefined ? undefined : await this.links.indexOf(link);
    const what = link === undefined ? 'list addresses' : `list the addresses of ${describeLink(link)}`;
    const messages = await this.netns.request(what, (socket) =>
      socket.getAddresses(family === undefined ? {} : { family: addressFamily(family) }),
    );
    return messages
      .filter((message) => index === undefined || message.data.index === index)
      .filter((message) => family === undefined || ipFamilyOf(message.data.family) === family)
      .map(toAddressInfo);
  }
}

function addressHeader(prefix: IpPrefix, index: number, flags: rt.AddressFlags): rt.Address {
  return { family: addressFamily(prefix.address.family), prefixlen: prefix.length, index, flags };
}

function addressAttrs(prefix: IpPrefix): rt.AddressAttrs {
  return { local: prefix.address.bytes, address: prefix.address.bytes };
}

export function toAddressInfo(message: rt.AddressMessage): AddressInfo {
  const { data, attrs } = message;
  const bytes = attrs.local ?? attrs.address ?? Buffer.alloc(data.family === 10 ? 16 : 4);
  const flags = { ...data.flags, ...attrs.flags };
  const address = formatIp(bytes);
  const prefixLength = data.prefixlen ?? 0;
  return {
    linkIndex: data.index ?? 0,
    family: ipFamilyOf(data.family),
    address,
    prefixLength,
    cidr: `${address}/${prefixLength}`,
    nodad: flags.nodad === true,
    tentative: flags.tentative === true,
    dadFailed: flags.dadfailed === true,
    permanent: flags.permanent === true,
  };
}
