import { copyMessage } from '../copy/index.js';
import type { Connection, ConnectionEvent } from '../types.js';
import { matchesSelector, type MonitorSelector } from './selector.js';

export type ConnectionEventType = ConnectionEvent['type'];

/** The connections an endpoint holds, as a stream of events (served as `connection.MonitorConnection`). */
export interface ConnectionMonitor {
  /**
   * Events for the connections matching `selector`: first an INITIAL_STATE_TRANSFER with every matching
   * connection (possibly none), then UPDATE and DELETE events with the matching connections of each
   * change (changes matching nothing are not sent). Ends when `signal` aborts or the monitor stops.
   */
  subscribe(selector: MonitorSelector, signal: AbortSignal): AsyncIterable<ConnectionEvent>;
  /** Copies of the connections matching `selector` right now. */
  connections(selector?: MonitorSelector): Connection[];
}

function eventOf(type: ConnectionEventType, connections: readonly Connection[]): ConnectionEvent {
  const byId: Record<string, Connection> = {};
  for (const connection of connections) byId[connection.id] = copyMessage(connection);
  return { type, connections: byId };
}

/** One subscriber: its events wait in a queue until the consumer pulls them. */
class Subscription implements AsyncIterableIterator<ConnectionEvent> {
  private readonly queue: ConnectionEvent[] = [];
  private waiting: ((result: IteratorResult<ConnectionEvent>) => void) | undefined;
  private ended = false;

  constructor(
    readonly selector: MonitorSelector,
    initial: ConnectionEvent,
    private readonly onEnd: (subscription: Subscription) => void,
  ) {
    this.queue.push(initial);
  }

  offer(type: ConnectionEventType, connections: readonly Connection[]): void {
    if (this.ended) return;
    const matching = connections.filter((c) => matchesSelector(c, this.selector));
    if (matching.length === 0) return;
    const event = eventOf(type, matching);
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else {
      this.queue.push(event);
    }
  }

  /** Stops the stream; `drain` keeps the events already queued for the consumer to read first. */
  end(drain = false): void {
    if (this.ended) return;
    this.ended = true;
    if (!drain) this.queue.length = 0;
    this.onEnd(this);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ConnectionEvent>> {
    const event = this.queue.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<ConnectionEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ConnectionEvent> {
    return this;
  }
}

/** Holds the connections and fans their changes out to the subscribers. */
export class ConnectionHub implements ConnectionMonitor {
  private readonly current = new Map<string, Connection>();
  private readonly subscriptions = new Set<Subscription>();

  constructor(private readonly lifetime: AbortSignal | undefined) {
    lifetime?.addEventListener('abort', () => this.stop(), { once: true });
  }

  subscribe(selector: MonitorSelector, signal: AbortSignal): AsyncIterable<ConnectionEvent> {
    const initial = eventOf('INITIAL_STATE_TRANSFER', this.connections(selector));
    const onAbort = (): void => subscription.end();
    const subscription = new Subscription(selector, initial, (ended) => {
      this.subscriptions.delete(ended);
      signal.removeEventListener('abort', onAbort);
    });
    if (signal.aborted || this.lifetime?.aborted) {
      subscription.end();
      return subscription;
    }
    this.subscriptions.add(subscription);
    signal.addEventListener('abort', onAbort, { once: true });
    return subscription;
  }

  connections(selector: MonitorSelector = {}): Connection[] {
    return [...this.current.values()].filter((c) => matchesSelector(c, selector)).map((c) => copyMessage(c));
  }

  /** The connection as last reported (not a copy: callers must not change it). */
  held(id: string): Connection | undefined {
    return this.current.get(id);
  }

  update(connection: Connection): void {
    this.current.set(connection.id, copyMessage(connection));
    for (const subscription of this.subscriptions) subscription.offer('UPDATE', [connection]);
  }

  delete(connection: Connection): void {
    this.current.delete(connection.id);
    for (const subscription of this.subscriptions) subscription.offer('DELETE', [connection]);
  }

  /** The endpoint's lifetime ended: subscribers get what happened before, then the end of the stream. */
  private stop(): void {
    for (const subscription of [...this.subscriptions]) subscription.end(true);
  }
}
