/**
 * Link events of one namespace (RTNLGRP_LINK): `added`, `removed` and `changed` (name, up/down,
 * carrier, MTU, MAC or master changed). See keyed-events.ts for the subscription's guarantees.
 */
import { rt } from 'netlink';
import { type KeyedChangeType, type NamespaceRef, watchKeyed, type WatchOptions } from './keyed-events.js';
import { toLinkInfo, type LinkInfo } from './links.js';

export type LinkEventType = KeyedChangeType;

export interface LinkEvent {
  readonly type: LinkEventType;
  readonly index: number;
  readonly name: string;
  readonly up: boolean;
  /** The link as last seen (for `removed`, as it was when it went). */
  readonly link: LinkInfo;
}

export type WatchLinksOptions = WatchOptions;

export interface LinkEventSource extends NamespaceRef {
  readonly links: { list(): Promise<LinkInfo[]> };
}

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;

export async function* watchLinks(
  source: LinkEventSource,
  options: WatchLinksOptions = {},
): AsyncGenerator<LinkEvent> {
  const changes = watchKeyed<LinkInfo>(
    source,
    {
      action: 'receive link events',
      groups: ['LINK'],
      decode: (type, data) =>
        type === RTM_NEWLINK || type === RTM_DELLINK
          ? { removed: type === RTM_DELLINK, value: toLinkInfo(rt.parseLinkMessage(data)) }
          : undefined,
      key: (link) => String(link.index),
      list: () => source.links.list(),
      changed,
    },
    options,
  );
  for await (const { type, value: link } of changes) {
    yield { type, index: link.index, name: link.name, up: link.up, link };
  }
}

function changed(a: LinkInfo, b: LinkInfo): boolean {
  return (
    a.name !== b.name ||
    a.up !== b.up ||
    a.lowerUp !== b.lowerUp ||
    a.operState !== b.operState ||
    a.mtu !== b.mtu ||
    a.mac !== b.mac ||
    a.masterIndex !== b.masterIndex
  );
}
