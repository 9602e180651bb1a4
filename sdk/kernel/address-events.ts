/**
 * Address events of one namespace (RTNLGRP_IPV4_IFADDR and IPV6_IFADDR): an address `added` to or
 * `removed` from a link, or `changed` (an IPv6 address that finished duplicate address detection, or
 * failed it). Something that waits for an address to be usable (a route via a neighbour on that subnet)
 * reacts to these instead of polling. See keyed-events.ts for the subscription's guarantees.
 */
import { rt } from 'netlink';
import { type AddressInfo, toAddressInfo } from './addresses.js';
import { type KeyedChangeType, type NamespaceRef, watchKeyed, type WatchOptions } from './keyed-events.js';

export interface AddressEvent {
  readonly type: KeyedChangeType;
  readonly address: AddressInfo;
}

export type WatchAddressesOptions = WatchOptions;

export interface AddressEventSource extends NamespaceRef {
  readonly addresses: { list(): Promise<AddressInfo[]> };
}

const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;

export async function* watchAddresses(
  source: AddressEventSource,
  options: WatchAddressesOptions = {},
): AsyncGenerator<AddressEvent> {
  const changes = watchKeyed<AddressInfo>(
    source,
    {
      action: 'receive address events',
      groups: ['IPV4_IFADDR', 'IPV6_IFADDR'],
      decode: (type, data) =>
        type === RTM_NEWADDR || type === RTM_DELADDR
          ? { removed: type === RTM_DELADDR, value: toAddressInfo(rt.parseAddressMessage(data)) }
          : undefined,
      key: (address) => `${address.linkIndex} ${address.cidr}`,
      list: () => source.addresses.list(),
      changed: (a, b) => a.tentative !== b.tentative || a.dadFailed !== b.dadFailed || a.nodad !== b.nodad,
    },
    options,
  );
  for await (const { type, value } of changes) yield { type, address: value };
}
