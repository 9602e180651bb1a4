/**
 * A cache of one kind of object in one namespace, kept current by list-then-watch, telling a
 * handler about every change. client-node's own `ListWatch` stops for good on any error but 410
 * (`../shared/reference/OPERATOR.md` §9.3), which an operator cannot afford, hence this loop:
 * a watch the server ends resumes from the last resourceVersion; 410 Gone relists (objects that
 * vanished meanwhile are reported deleted); any other failure retries with backoff; a watch the
 * server never ends is dropped after its timeout plus a grace period.
 */
import type { KubernetesObject, V1Status, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import { Backoff, type BackoffOptions } from '../../sdk/config/index.js';
import { type Clock, sleep, systemClock } from '../../sdk/core/index.js';
import { untilAborted } from './abort.js';
import { describeApiError } from './api-errors.js';

export type ChangeType = 'added' | 'updated' | 'deleted';

export interface Change<T> {
  readonly type: ChangeType;
  readonly object: T;
  /** The cached object before an update. */
  readonly previous?: T;
}

export interface ListResult<T> {
  readonly resourceVersion: string;
  readonly items: readonly T[];
}

export interface InformerOptions<T extends KubernetesObject> {
  /** For log lines: `trenches in namespace red`. */
  readonly what: string;
  /** The collection's API path, e.g. `/api/v1/namespaces/red/configmaps`. */
  readonly watchPath: string;
  readonly list: () => Promise<ListResult<T>>;
  readonly watch: Watch;
  readonly onChange: (change: Change<T>) => void;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly backoff?: BackoffOptions;
  /** Each watch asks the server to end it after this long. Default 300 s. */
  readonly watchTimeoutSeconds?: number;
  /** A watch still open this long after its timeout is dropped. Default 30 s. */
  readonly watchGraceMs?: number;
}

/** A watch shorter than this that ended without events counts as a failure (no busy loop). */
const HEALTHY_WATCH_MS = 1000;

type WatchEnd =
  | { readonly end: 'stopped' | 'closed' | 'expired' }
  | { readonly end: 'failed'; readonly message: string; readonly relist: boolean };

export class Informer<T extends KubernetesObject> {
  private readonly cache = new Map<string, T>();
  private readonly stopping = new AbortController();
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly watchTimeoutSeconds: number;
  private readonly watchGraceMs: number;
  private resourceVersion = '';
  private running: Promise<void> | undefined;
  private markSynced!: () => void;
  private isSynced = false;
  /** Resolves after the first successful list. */
  readonly synced: Promise<void>;

  constructor(private readonly options: InformerOptions<T>) {
    this.backoff = new Backoff(options.backoff);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.watchGraceMs = options.watchGraceMs ?? 30_000;
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  hasSynced(): boolean {
    return this.isSynced;
  }

  get(name: string): T | undefined {
    return this.cache.get(name);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let needsList = true;
    while (!signal.aborted) {
      let delay = 0;
      try {
        if (needsList) {
          await this.relist();
          needsList = false;
        }
        const started = this.clock.now();
        let events = 0;
        const outcome = await this.watchOnce(signal, () => events++);
        if (outcome.end === 'stopped') return;
        if (events > 0 || this.clock.now() - started >= HEALTHY_WATCH_MS) this.backoff.reset();
        else delay = this.backoff.failure();
        if (outcome.end === 'expired') {
          this.logger.info(`the watch of ${this.options.what} expired (410 Gone); listing again`);
          needsList = true;
        } else if (outcome.end === 'failed') {
          needsList = outcome.relist;
          this.logger.warn({ retryInMs: delay }, outcome.message);
        }
      } catch (error) {
        if (signal.aborted) return;
        delay = this.backoff.failure();
        this.logger.warn(
          { retryInMs: delay },
          `listing ${this.options.what} failed: ${describeApiError(error)}`,
        );
      }
      if (delay > 0) await sleep(this.clock, delay, signal).catch(() => undefined);
    }
  }

  /** Replaces the cache with a fresh list, reporting what was added, changed or removed meanwhile. */
  private async relist(): Promise<void> {
    const { resourceVersion, items } = await untilAborted(this.options.list(), this.stopping.signal);
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
    this.resourceVersion = resourceVersion;
    if (!this.isSynced) {
      this.isSynced = true;
      this.markSynced();
    }
  }

  private apply(name: string, object: T): void {
    const previous = this.cache.get(name);
    this.cache.set(name, object);
    if (!previous) this.options.onChange({ type: 'added', object });
    else if (previous.metadata?.resourceVersion !== object.metadata?.resourceVersion)
      this.options.onChange({ type: 'updated', object, previous });
  }

  private handleEvent(type: string, object: T): void {
    const resourceVersion = object.metadata?.resourceVersion;
    if (resourceVersion) this.resourceVersion = resourceVersion;
    const name = object.metadata?.name;
    if (type === 'BOOKMARK' || name === undefined) return;
    if (type === 'ADDED' || type === 'MODIFIED') this.apply(name, object);
    else if (type === 'DELETED') {
      this.cache.delete(name);
      this.options.onChange({ type: 'deleted', object });
    }
  }

  /** One watch from `this.resourceVersion`, until it ends; events are applied as they arrive. */
  private watchOnce(signal: AbortSignal, onEvent: () => void): Promise<WatchEnd> {
    const what = this.options.what;
    return new Promise<WatchEnd>((resolve) => {
      if (signal.aborted) {
        resolve({ end: 'stopped' });
        return;
      }
      let settled = false;
      let controller: AbortController | undefined;
      // client-node's Watch has no timeout: a connection that silently died would hang forever.
      const deadline = this.clock.setTimeout(
        () => finish({ end: 'closed' }),
        this.watchTimeoutSeconds * 1000 + this.watchGraceMs,
      );
      const onStop = (): void => finish({ end: 'stopped' });
      signal.addEventListener('abort', onStop, { once: true });
      const finish = (end: WatchEnd): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onStop);
        this.clock.clearTimeout(deadline);
        controller?.abort();
        resolve(end);
      };
      const onWatchEvent = (type: string, object: unknown): void => {
        if (settled) return;
        if (type === 'ERROR') {
          const status = object as V1Status;
          if (status.code === 410) finish({ end: 'expired' });
          else
            finish({
              end: 'failed',
              relist: true,
              message: `the watch of ${what} failed: ${status.message ?? 'no message'} (${status.code ?? '?'} ${status.reason ?? ''})`,
            });
          return;
        }
        onEvent();
        this.handleEvent(type, object as T);
      };
      const onDone = (error: unknown): void => {
        if (error === null || error === undefined) finish({ end: 'closed' });
        else if ((error as { statusCode?: unknown }).statusCode === 410) finish({ end: 'expired' });
        else
          finish({
            end: 'failed',
            relist: false,
            message: `the watch of ${what} failed: ${describeApiError(error)}`,
          });
      };
      const query: Record<string, string | number | boolean> = {
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds,
        resourceVersion: this.resourceVersion,
      };
      this.options.watch.watch(this.options.watchPath, query, onWatchEvent, onDone).then((started) => {
        controller = started;
        if (settled) started.abort();
      }, onDone);
    });
  }
}
