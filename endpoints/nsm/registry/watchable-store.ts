/**
 * A keyed in-memory collection that tells its watchers about every change, in the order the changes
 * happened. A watcher sees the items its filter selects: an item that stops matching after an update
 * is reported deleted to that watcher, one that starts matching is reported as new.
 */
import type { Logger } from 'pino';

import type { RegistryEvent } from '../../../sdk/registry/index.js';

/** Why an item left the store. */
export type RemovalCause = 'unregistered' | 'expired';

/** A store event with what caused it; `cause` is set only when the item left the store. */
export interface StoreEvent<T> extends RegistryEvent<T> {
  readonly cause?: RemovalCause;
}

export interface StoreWatcher<T> {
  matches(item: T): boolean;
  onEvent(event: StoreEvent<T>): void;
  /** The store was closed; no further events will come. */
  onClose?(): void;
}

export interface StoreSubscription<T> {
  /** The matching items at the moment of subscribing; every later change arrives as an event. */
  readonly snapshot: T[];
  cancel(): void;
}

export class WatchableStore<T> {
  private readonly items = new Map<string, T>();
  private readonly watchers = new Set<StoreWatcher<T>>();
  private readonly pending: Array<() => void> = [];
  private dispatching = false;
  private closed = false;

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly logger: Logger,
  ) {}

  get(key: string): T | undefined {
    const item = this.items.get(key);
    return item === undefined ? undefined : structuredClone(item);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(filter: (item: T) => boolean = () => true): T[] {
    return [...this.items.values()].filter(filter).map((item) => structuredClone(item));
  }

  /** Stores (or replaces) the item and tells the watchers. */
  put(item: T): void {
    const key = this.keyOf(item);
    const previous = this.items.get(key);
    const stored = structuredClone(item);
    this.items.set(key, stored);
    for (const watcher of this.watchers) {
      if (watcher.matches(stored)) this.enqueue(watcher, { item: stored, deleted: false });
      else if (previous !== undefined && watcher.matches(previous))
        this.enqueue(watcher, { item: previous, deleted: true });
    }
    this.dispatch();
  }

  /** Removes the item, telling the watchers it was deleted; returns it, or undefined when absent. */
  remove(key: string, cause: RemovalCause): T | undefined {
    const previous = this.items.get(key);
    if (previous === undefined) return undefined;
    this.items.delete(key);
    for (const watcher of this.watchers) {
      if (watcher.matches(previous)) this.enqueue(watcher, { item: previous, deleted: true, cause });
    }
    this.dispatch();
    return structuredClone(previous);
  }

  /** Subscribes and takes the snapshot in one step, so no change falls between the two. */
  watch(watcher: StoreWatcher<T>): StoreSubscription<T> {
    if (this.closed) {
      watcher.onClose?.();
      return { snapshot: [], cancel: () => undefined };
    }
    this.watchers.add(watcher);
    return {
      snapshot: this.list((item) => watcher.matches(item)),
      cancel: () => this.watchers.delete(watcher),
    };
  }

  /** Ends every watch; the items stay readable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const watchers = [...this.watchers];
    this.watchers.clear();
    for (const watcher of watchers) this.pending.push(() => watcher.onClose?.());
    this.dispatch();
  }

  private enqueue(watcher: StoreWatcher<T>, event: StoreEvent<T>): void {
    const copy: StoreEvent<T> = { ...event, item: structuredClone(event.item) };
    this.pending.push(() => {
      // A watcher cancelled while its events were queued no longer wants them.
      if (this.watchers.has(watcher)) watcher.onEvent(copy);
    });
  }

  /**
   * Delivers queued events one by one. A watcher that changes the store from its callback queues new
   * events behind the current ones instead of overtaking them, so every watcher sees one order.
   */
  private dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let delivery = this.pending.shift(); delivery; delivery = this.pending.shift()) {
        try {
          delivery();
        } catch (error) {
          this.logger.error({ err: error }, 'a registry watcher failed while handling an event');
        }
      }
    } finally {
      this.dispatching = false;
    }
  }
}
