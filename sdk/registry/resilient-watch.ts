/**
 * A registry watch that outlives its streams. The consumer sees one view: the matches, then every
 * change. When the stream breaks it reconnects with backoff; the new stream starts with the current
 * matches again, which are compared with the view, so only differences come out.
 *
 * Deletions across a reconnect are the delicate part. Items of the view that the new snapshot lacks are
 * "unconfirmed". If the registry is the same one as before (its instance header did not change), the
 * snapshot is authoritative and they are reported deleted as soon as the snapshot ends. If it is a
 * restarted registry (or one that does not tell), it lost its memory, not its endpoints: each missing
 * item is reported deleted only when its grace deadline passes (for an endpoint, its expiration time,
 * when the old registry would have expired it too) unless it registers again before. So a registry
 * restart produces no spurious deletions.
 */
import { isDeepStrictEqual } from 'node:util';

import type { Logger } from 'pino';

import { type Clock, messageOf, sleep, type TimerHandle } from '../core/index.js';
import { AsyncQueue } from './async-queue.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { REGISTRY_INSTANCE_HEADER, REGISTRY_SNAPSHOT_SIZE_HEADER } from './headers.js';
import type { ServerStream } from './grpc-transport.js';
import type { RegistryEvent } from './types.js';

export interface WatchSource<T> {
  /** Opens a watching Find stream. */
  open(signal: AbortSignal): ServerStream<RegistryEvent<T>>;
  keyOf(item: T): string;
  /** When an item that a restarted registry does not list any more is to be reported deleted. */
  graceDeadline(item: T, now: number): number;
}

export interface ResilientWatchOptions {
  readonly signal?: AbortSignal;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reconnect?: BackoffOptions;
}

/** The events of a watch that reconnects until `signal` aborts or the consumer stops reading. */
export function resilientWatch<T>(
  source: WatchSource<T>,
  options: ResilientWatchOptions,
): AsyncIterable<RegistryEvent<T>> {
  return new ResilientWatch(source, options).events;
}

interface Connection {
  /** The registry's instance id, when it sends one. */
  readonly instance: string | undefined;
  readonly sameRegistry: boolean;
  /** Snapshot messages still to come, when the registry says how many. */
  remaining: number | undefined;
}

class ResilientWatch<T> {
  readonly events: AsyncQueue<RegistryEvent<T>>;
  private readonly controller = new AbortController();
  private readonly view = new Map<string, T>();
  private readonly unconfirmed = new Map<string, TimerHandle>();
  private lastInstance: string | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(
    private readonly source: WatchSource<T>,
    private readonly options: ResilientWatchOptions,
  ) {
    this.clock = options.clock;
    this.logger = options.logger;
    this.events = new AsyncQueue(() => this.controller.abort());
    const { signal } = options;
    if (signal?.aborted) this.controller.abort();
    else signal?.addEventListener('abort', () => this.controller.abort(), { once: true });
    void this.run();
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const backoff = new Backoff(this.options.reconnect);
    while (!signal.aborted) {
      const stream = this.source.open(signal);
      // Stopping must not depend on the source honouring the signal: cancel the stream directly.
      const cancelStream = (): void => stream.cancel();
      signal.addEventListener('abort', cancelStream, { once: true });
      try {
        const connection = this.begin(await stream.headers);
        backoff.reset();
        for await (const event of stream.messages) this.receive(connection, event);
        if (!signal.aborted) this.logger.info('the registry ended the watch; reconnecting');
      } catch (error) {
        if (signal.aborted) break;
        this.logger.warn({ reason: messageOf(error) }, 'registry watch failed; reconnecting');
      } finally {
        signal.removeEventListener('abort', cancelStream);
        stream.cancel();
      }
      try {
        await sleep(this.clock, backoff.next(), signal);
      } catch {
        break;
      }
    }
    for (const timer of this.unconfirmed.values()) this.clock.clearTimeout(timer);
    this.unconfirmed.clear();
    this.events.end();
  }

  /** A new stream is in place: every item of the view waits for the snapshot to confirm it. */
  private begin(headers: { get(key: string): unknown[] }): Connection {
    const instance = firstString(headers.get(REGISTRY_INSTANCE_HEADER));
    const size = Number(firstString(headers.get(REGISTRY_SNAPSHOT_SIZE_HEADER)));
    const connection: Connection = {
      instance,
      sameRegistry: instance !== undefined && instance === this.lastInstance,
      remaining: Number.isInteger(size) && size >= 0 ? size : undefined,
    };
    if (this.lastInstance !== undefined && !connection.sameRegistry) {
      this.logger.info(
        { instance },
        'the registry was restarted; keeping its items until they expire or return',
      );
    }
    this.lastInstance = instance;
    const now = this.clock.now();
    for (const [key, item] of this.view) {
      if (this.unconfirmed.has(key)) continue;
      const timer = this.clock.setTimeout(
        () => this.expireUnconfirmed(key),
        this.source.graceDeadline(item, now) - now,
      );
      this.unconfirmed.set(key, timer);
    }
    if (connection.remaining === 0) this.snapshotComplete(connection);
    return connection;
  }

  private receive(connection: Connection, event: RegistryEvent<T>): void {
    const key = this.source.keyOf(event.item);
    this.confirm(key);
    if (event.deleted) {
      if (this.view.delete(key)) this.events.push(event);
    } else {
      const known = this.view.get(key);
      if (known === undefined || !isDeepStrictEqual(known, event.item)) {
        this.view.set(key, event.item);
        this.events.push(event);
      }
    }
    if (connection.remaining !== undefined && connection.remaining > 0 && --connection.remaining === 0) {
      this.snapshotComplete(connection);
    }
  }

  /** The same registry's snapshot is the truth: what it did not list was deleted meanwhile. */
  private snapshotComplete(connection: Connection): void {
    if (!connection.sameRegistry) return;
    for (const key of [...this.unconfirmed.keys()]) this.expireUnconfirmed(key);
  }

  private confirm(key: string): void {
    const timer = this.unconfirmed.get(key);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.unconfirmed.delete(key);
  }

  private expireUnconfirmed(key: string): void {
    this.confirm(key);
    const item = this.view.get(key);
    if (item === undefined) return;
    this.view.delete(key);
    this.events.push({ item, deleted: true });
  }
}

function firstString(values: unknown[]): string | undefined {
  const value = values[0];
  return typeof value === 'string' ? value : undefined;
}
