/**
 * One multicast subscription to rtnetlink groups of a namespace, reported as changes to a keyed set
 * (links by index, addresses by link and prefix): `added`, `removed`, `changed`. The set is listed when
 * the subscription starts and again whenever the kernel dropped events (ENOBUFS), and the differences are
 * reported, so a subscriber never misses an object that appeared or went. Each subscription has its own
 * socket in the namespace, closed when the signal aborts or the consumer stops iterating.
 */
import type { RtNetlinkSocket } from 'netlink';
import { kernelError } from './errors.js';
import { openNetnsSocket } from './netns-socket.js';

export type KeyedChangeType = 'added' | 'removed' | 'changed';

export interface KeyedChange<V> {
  readonly type: KeyedChangeType;
  /** The object as now seen; for `removed`, as it was last seen, updated by the removal message. */
  readonly value: V;
}

export interface WatchOptions {
  /** Stops the subscription (the iterator then ends without error). */
  signal?: AbortSignal;
  /** First report every object that exists when the subscription starts as `added` (default false). */
  existing?: boolean;
}

type Group = Parameters<RtNetlinkSocket['addMembership']>[0];

export interface KeyedEventSpec<V extends object> {
  /** For error messages: "receive link events". */
  readonly action: string;
  readonly groups: readonly Group[];
  /** What one message says; undefined for messages of other types. */
  decode(type: number, data: Buffer): { removed: boolean; value: V } | undefined;
  key(value: V): string;
  list(): Promise<V[]>;
  /** Whether the difference between two sightings of one object is worth a `changed` event. */
  changed(before: V, after: V): boolean;
}

/** Where the namespace is pinned and how it is named in messages. */
export interface NamespaceRef {
  readonly path: string;
  readonly label: string;
}

const EVENT_BUFFER_BYTES = 1 << 20;

type Pending<V> =
  | { kind: 'object'; removed: boolean; value: V }
  | { kind: 'resync' }
  | { kind: 'failed'; error: Error }
  | { kind: 'stop' };

export async function* watchKeyed<V extends object>(
  namespace: NamespaceRef,
  spec: KeyedEventSpec<V>,
  options: WatchOptions = {},
): AsyncGenerator<KeyedChange<V>> {
  const { signal } = options;
  if (signal?.aborted) return;
  const queue: Pending<V>[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Pending<V>): void => {
    queue.push(item);
    wake?.();
    wake = undefined;
  };
  const socket = openNetnsSocket(namespace.path, namespace.label, {
    ref: true,
    recvBufferSize: EVENT_BUFFER_BYTES,
    onError: (error) =>
      push(
        error.code === 'ENOBUFS'
          ? { kind: 'resync' }
          : { kind: 'failed', error: kernelError(error, spec.action, namespace.label) },
      ),
  });
  socket.socket.on('message', (messages) => {
    for (const message of messages) {
      const decoded = spec.decode(message.type, message.data);
      if (decoded !== undefined) push({ kind: 'object', ...decoded });
    }
  });
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    socket.socket.close();
  };
  // The socket goes at once on abort, even when the consumer never pulls again to reach `finally`.
  const onAbort = (): void => {
    close();
    push({ kind: 'stop' });
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const snapshot = async (): Promise<Map<string, V>> =>
    new Map((await spec.list()).map((value) => [spec.key(value), value]));
  try {
    // Joined before listing, so nothing that happens in between is missed (at worst seen twice).
    for (const group of spec.groups) socket.addMembership(group);
    let known = await snapshot();
    if (options.existing) for (const value of known.values()) yield { type: 'added', value };
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift() as Pending<V>;
      if (item.kind === 'stop') return;
      if (item.kind === 'failed') throw item.error;
      if (item.kind === 'resync') {
        const now = await snapshot();
        yield* differences(spec, known, now);
        known = now;
        continue;
      }
      const key = spec.key(item.value);
      const before = known.get(key);
      if (item.removed) {
        if (before === undefined) continue;
        known.delete(key);
        yield { type: 'removed', value: { ...before, ...item.value } };
        continue;
      }
      known.set(key, item.value);
      if (before === undefined) yield { type: 'added', value: item.value };
      else if (spec.changed(before, item.value)) yield { type: 'changed', value: item.value };
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    close();
  }
}

function* differences<V extends object>(
  spec: KeyedEventSpec<V>,
  before: Map<string, V>,
  after: Map<string, V>,
): Generator<KeyedChange<V>> {
  for (const [key, value] of before) if (!after.has(key)) yield { type: 'removed', value };
  for (const [key, value] of after) {
    const previous = before.get(key);
    if (previous === undefined) yield { type: 'added', value };
    else if (spec.changed(previous, value)) yield { type: 'changed', value };
  }
}
