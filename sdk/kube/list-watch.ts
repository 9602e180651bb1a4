/**
 * List-then-watch, once for every reader of the Kubernetes API. client-node's own `ListWatch` stops
 * for good on any error but 410 and has no client-side watch timeout (decision 007), hence this loop:
 * list, then watch from the list's resourceVersion; a watch the server ends resumes from the last
 * resourceVersion seen; 410 Gone (as an ERROR event or an HTTP status) and other ERROR events list
 * again, reporting what changed or vanished meanwhile; transport failures resume with backoff; a
 * watch the server has not ended well after its timeout is dropped; the signal stops it all.
 *
 * client-node is not imported here, not even for its types: the caller injects `list` and `watch`,
 * so a process that never talks to an API server does not load it.
 */
import type { Logger } from 'pino';

import { type Clock, sleep, systemClock } from '../core/clock.js';
import { MeridioError, UnavailableError } from '../core/errors.js';
import { describeApiError } from './api-errors.js';

/** What the loop reads of an object: its name (the key, one namespace) and resourceVersion. */
export interface KubeObject {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
}

export interface ListedObjects<T> {
  readonly resourceVersion: string;
  readonly items: readonly T[];
}

/** The query of one watch; the caller adds its own selectors. */
export type WatchQuery = {
  readonly allowWatchBookmarks: true;
  readonly timeoutSeconds: number;
  /** Absent only when no list has given one yet. */
  readonly resourceVersion?: string;
};

/** The object of an ERROR event: a `Status`. */
export interface WatchStatus {
  readonly code?: number;
  readonly message?: string;
  readonly reason?: string;
}

/**
 * Opens one watch, with client-node's `Watch.watch` contract: `onEvent` for each event (type
 * ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), `onDone` once when it ends (null when the server ended it),
 * and the returned handle aborts it.
 */
export type StartWatch = (
  query: WatchQuery,
  onEvent: (type: string, object: unknown) => void,
  onDone: (error: unknown) => void,
) => Promise<{ abort(): void }>;

/** Delays between failed attempts; `Backoff` of sdk/config is one. */
export interface RetryDelays {
  /** Records a failure and returns how long to wait before retrying. */
  failure(): number;
  /** Records progress. */
  reset(): void;
}

export type ListWatchChange<T> =
  | { readonly type: 'added'; readonly object: T }
  | { readonly type: 'modified'; readonly object: T; readonly previous: T }
  | { readonly type: 'deleted'; readonly object: T };

export interface ListWatchOptions<T extends KubeObject> {
  /** Names the collection in messages, e.g. `ConfigMaps in namespace red`; a function when it is known only later. */
  readonly what: string | (() => string);
  readonly logger: Logger | (() => Logger);
  readonly list: (signal: AbortSignal) => Promise<ListedObjects<T>>;
  readonly watch: StartWatch;
  /** Every change of the cache: from a watch event, or found by a list. */
  readonly onChange: (change: ListWatchChange<T>) => void;
  /** After each successful list, once what it found has been reported through `onChange`. */
  readonly onSynced?: (resourceVersion: string) => void;
  /** A list or watch failed; the loop tries again after `retryInMs`. */
  readonly onFailure: (error: Error, retryInMs: number) => void;
  readonly retryDelays: RetryDelays;
  readonly clock?: Clock;
  /** Each watch asks the server to end it after this long. Default 300 s. */
  readonly watchTimeoutSeconds?: number;
  /** A watch still open this long after its timeout is dropped. Default 30 s. */
  readonly watchGraceMs?: number;
}

/** A watch shorter than this that ended without events counts as a failure (no busy loop). */
const HEALTHY_WATCH_MS = 1000;

type WatchEnd =
  | { readonly end: 'stopped' | 'closed' | 'expired' }
  | { readonly end: 'failed'; readonly error: Error; readonly relist: boolean };

export class ListWatch<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly clock: Clock;
  private readonly watchTimeoutSeconds: number;
  private readonly watchGraceMs: number;
  private lastResourceVersion = '';

  constructor(private readonly options: ListWatchOptions<T>) {
    this.clock = options.clock ?? systemClock;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.watchGraceMs = options.watchGraceMs ?? 30_000;
  }

  /** The last resourceVersion seen, from a list or an event; empty before the first list. */
  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  get(name: string): T | undefined {
    return this.cache.get(name);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** Lists and watches until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const retry = this.options.retryDelays;
    let needsList = true;
    while (!signal.aborted) {
      let delay = 0;
      try {
        if (needsList) {
          await this.relist(signal);
          needsList = false;
        }
        const started = this.clock.now();
        let events = 0;
        const outcome = await this.watchOnce(signal, () => events++);
        if (outcome.end === 'stopped') return;
        if (events > 0 || this.clock.now() - started >= HEALTHY_WATCH_MS) retry.reset();
        else delay = retry.failure();
        const fields = { resourceVersion: this.lastResourceVersion };
        if (outcome.end === 'expired') {
          this.logger().info(fields, `the watch of ${this.what()} expired (410 Gone); listing again`);
          needsList = true;
        } else if (outcome.end === 'failed') {
          needsList = outcome.relist;
          this.options.onFailure(outcome.error, delay);
        } else {
          this.logger().debug(fields, `the watch of ${this.what()} ended; resuming`);
        }
      } catch (error) {
        if (signal.aborted) return;
        delay = retry.failure();
        // Our own errors (credentials that do not load) are sentences already.
        const failure =
          error instanceof MeridioError
            ? error
            : new UnavailableError(`listing ${this.what()} failed: ${describeApiError(error)}`, {
                cause: error,
              });
        this.options.onFailure(failure, delay);
      }
      if (delay > 0) await sleep(this.clock, delay, signal).catch(() => undefined);
    }
  }

  private what(): string {
    const { what } = this.options;
    return typeof what === 'string' ? what : what();
  }

  private logger(): Logger {
    const { logger } = this.options;
    return typeof logger === 'function' ? logger() : logger;
  }

  /** Replaces the cache with a fresh list, reporting what was added, changed or removed meanwhile. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { resourceVersion, items } = await untilAborted(this.options.list(signal), signal);
    const seen = new Set<string>();
    for (const object of items) {
      const name = object.metadata?.name;
      if (name === undefined) continue;
      seen.add(name);
      this.apply(name, object);
    }
    for (const [name, object] of [...this.cache]) {
      if (seen.has(name)) continue;
      this.cache.delete(name);
      this.options.onChange({ type: 'deleted', object });
    }
    this.lastResourceVersion = resourceVersion;
    this.options.onSynced?.(resourceVersion);
  }

  private apply(name: string, object: T): void {
    const previous = this.cache.get(name);
    this.cache.set(name, object);
    if (!previous) this.options.onChange({ type: 'added', object });
    else if (previous.metadata?.resourceVersion !== object.metadata?.resourceVersion)
      this.options.onChange({ type: 'modified', object, previous });
  }

  private handleEvent(type: string, object: T): void {
    const resourceVersion = object.metadata?.resourceVersion;
    if (resourceVersion) this.lastResourceVersion = resourceVersion;
    const name = object.metadata?.name;
    if (type === 'BOOKMARK' || name === undefined) return;
    if (type === 'ADDED' || type === 'MODIFIED') this.apply(name, object);
    else if (type === 'DELETED') {
      this.cache.delete(name);
      this.options.onChange({ type: 'deleted', object });
    }
  }

  /** One watch from the last resourceVersion, until it ends; events are applied as they arrive. */
  private watchOnce(signal: AbortSignal, onEvent: () => void): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      if (signal.aborted) {
        resolve({ end: 'stopped' });
        return;
      }
      let settled = false;
      let handle: { abort(): void } | undefined;
      // client-node's Watch has no timeout: a connection that silently died would hang forever.
      const deadline = this.clock.setTimeout(
        () => {
          this.logger().debug(`the watch of ${this.what()} outlived its timeout; dropping it`);
          finish({ end: 'closed' });
        },
        this.watchTimeoutSeconds * 1000 + this.watchGraceMs,
      );
      const onStop = (): void => finish({ end: 'stopped' });
      signal.addEventListener('abort', onStop, { once: true });
      const finish = (end: WatchEnd): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onStop);
        this.clock.clearTimeout(deadline);
        handle?.abort();
        resolve(end);
      };
      const onWatchEvent = (type: string, object: unknown): void => {
        if (settled) return;
        if (type === 'ERROR') {
          const status = object as WatchStatus;
          if (status.code === 410) finish({ end: 'expired' });
          else {
            const detail = `${status.message ?? 'no message'} (${status.code ?? '?'} ${status.reason ?? ''})`;
            const error = new UnavailableError(`the watch of ${this.what()} failed: ${detail.trim()}`);
            finish({ end: 'failed', error, relist: true });
          }
          return;
        }
        onEvent();
        this.handleEvent(type, object as T);
      };
      const onDone = (error: unknown): void => {
        if (error === null || error === undefined) finish({ end: 'closed' });
        else if ((error as { statusCode?: unknown }).statusCode === 410) finish({ end: 'expired' });
        else {
          const message = `the watch of ${this.what()} failed: ${describeApiError(error)}`;
          finish({ end: 'failed', error: new UnavailableError(message, { cause: error }), relist: false });
        }
      };
      const query: WatchQuery = {
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds,
        ...(this.lastResourceVersion ? { resourceVersion: this.lastResourceVersion } : {}),
      };
      this.logger().debug(query, `watching ${this.what()}`);
      this.options.watch(query, onWatchEvent, onDone).then((started) => {
        handle = started;
        if (settled) started.abort();
      }, onDone);
    });
  }
}

/** Settles with `promise`, or rejects with the signal's reason when it aborts first (the call is left to finish). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
