/**
 * Link events of one namespace (RTNLGRP_LINK): `added`, `removed` and `changed` (name, up/down,
 * carrier, MTU, MAC or master changed), as an async iterable that ends when the signal aborts or the
 * consumer stops. Each subscription has its own socket in the namespace, closed when it ends. If the
 * kernel drops events (ENOBUFS), the links are listed again and the differences are reported, so a
 * subscriber never misses a link that appeared or went.
 */
import { rt, type RtNetlinkSocket } from 'netlink';
import { kernelError } from './errors.js';
import { toLinkInfo, type LinkInfo } from './links.js';
import { openNetnsSocket } from './netns-socket.js';

export type LinkEventType = 'added' | 'removed' | 'changed';

export interface LinkEvent {
  readonly type: LinkEventType;
  readonly index: number;
  readonly name: string;
  readonly up: boolean;
  /** The link as last seen (for `removed`, as it was when it went). */
  readonly link: LinkInfo;
}

export interface WatchLinksOptions {
  /** Stops the subscription (the iterator then ends without error). */
  signal?: AbortSignal;
  /** First report every link that exists when the subscription starts as `added` (default false). */
  existing?: boolean;
}

export interface LinkEventSource {
  readonly path: string;
  readonly label: string;
  readonly links: { list(): Promise<LinkInfo[]> };
}

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const EVENT_BUFFER_BYTES = 1 << 20;

type Pending =
  | { kind: 'link'; removed: boolean; link: LinkInfo }
  | { kind: 'resync' }
  | { kind: 'failed'; error: Error }
  | { kind: 'stop' };

export async function* watchLinks(
  source: LinkEventSource,
  options: WatchLinksOptions = {},
): AsyncGenerator<LinkEvent> {
  const { signal } = options;
  if (signal?.aborted) return;
  const queue: Pending[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Pending): void => {
    queue.push(item);
    wake?.();
    wake = undefined;
  };
  const socket: RtNetlinkSocket = openNetnsSocket(source.path, source.label, {
    ref: true,
    recvBufferSize: EVENT_BUFFER_BYTES,
    onError: (error) =>
      push(
        error.code === 'ENOBUFS'
          ? { kind: 'resync' }
          : { kind: 'failed', error: kernelError(error, 'receive link events', source.label) },
      ),
  });
  socket.socket.on('message', (messages) => {
    for (const message of messages) {
      if (message.type !== RTM_NEWLINK && message.type !== RTM_DELLINK) continue;
      push({
        kind: 'link',
        removed: message.type === RTM_DELLINK,
        link: toLinkInfo(rt.parseLinkMessage(message.data)),
      });
    }
  });
  const onAbort = (): void => push({ kind: 'stop' });
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    socket.addMembership('LINK');
    let known = await snapshot(source);
    if (options.existing) for (const link of known.values()) yield event('added', link);
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift() as Pending;
      if (item.kind === 'stop') return;
      if (item.kind === 'failed') throw item.error;
      if (item.kind === 'resync') {
        const now = await snapshot(source);
        for (const change of differences(known, now)) yield change;
        known = now;
        continue;
      }
      const before = known.get(item.link.index);
      if (item.removed) {
        if (before === undefined) continue;
        known.delete(item.link.index);
        yield event('removed', { ...before, ...item.link });
        continue;
      }
      known.set(item.link.index, item.link);
      if (before === undefined) yield event('added', item.link);
      else if (changed(before, item.link)) yield event('changed', item.link);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.socket.close();
  }
}

async function snapshot(source: LinkEventSource): Promise<Map<number, LinkInfo>> {
  return new Map((await source.links.list()).map((link) => [link.index, link]));
}

function* differences(before: Map<number, LinkInfo>, after: Map<number, LinkInfo>): Generator<LinkEvent> {
  for (const [index, link] of before) if (!after.has(index)) yield event('removed', link);
  for (const [index, link] of after) {
    const previous = before.get(index);
    if (previous === undefined) yield event('added', link);
    else if (changed(previous, link)) yield event('changed', link);
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

function event(type: LinkEventType, link: LinkInfo): LinkEvent {
  return { type, index: link.index, name: link.name, up: link.up, link };
}
