/**
 * A cache of one kind of object in one namespace, kept current by the shared list-then-watch loop
 * of sdk/kube (resume from the last resourceVersion, relist on 410 Gone reporting vanished objects
 * as deleted, backoff on failures, a watchdog past the watch timeout), telling a handler about every
 * change.
 */
import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import { Backoff, type BackoffOptions } from '../../sdk/config/index.js';
import type { Clock } from '../../sdk/core/index.js';
import { type ListedObjects, ListWatch } from '../../sdk/kube/index.js';

export type ChangeType = 'added' | 'updated' | 'deleted';

export interface Change<T> {
  readonly type: ChangeType;
  readonly object: T;
  /** The cached object before an update. */
  readonly previous?: T;
}

export type ListResult<T> = ListedObjects<T>;

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

export class Informer<T extends KubernetesObject> {
  private readonly stopping = new AbortController();
  private readonly loop: ListWatch<T>;
  private running: Promise<void> | undefined;
  private markSynced!: () => void;
  private isSynced = false;
  /** Resolves after the first successful list. */
  readonly synced: Promise<void>;

  constructor(options: InformerOptions<T>) {
    const { logger, onChange } = options;
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    this.loop = new ListWatch<T>({
      what: options.what,
      logger,
      list: () => options.list(),
      watch: (query, onEvent, onDone) => options.watch.watch(options.watchPath, query, onEvent, onDone),
      onChange: (change) => onChange(change.type === 'modified' ? { ...change, type: 'updated' } : change),
      onSynced: () => {
        if (this.isSynced) return;
        this.isSynced = true;
        this.markSynced();
      },
      onFailure: (error, retryInMs) => logger.warn({ retryInMs }, error.message),
      retryDelays: new Backoff(options.backoff),
      clock: options.clock,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      watchGraceMs: options.watchGraceMs,
    });
  }

  start(): void {
    this.running ??= this.loop.run(this.stopping.signal);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  hasSynced(): boolean {
    return this.isSynced;
  }

  get(name: string): T | undefined {
    return this.loop.get(name);
  }

  list(): T[] {
    return this.loop.list();
  }
}
