import { copyMessage } from '../copy/index.js';
import type { Context } from '../context.js';
import type { Next } from '../element.js';
import { InvalidArgumentError, messageOf } from '../errors.js';
import { type Connection, type NetworkServiceRequest, State } from '../types.js';
import { type EventFactory, eventFactoryKey, type EventOptions } from './context.js';
import { eventContext } from './event-context.js';
import { mergeConnection } from './merge.js';
import { DEFAULT_EVENT_TIMEOUT_MS, defaultReselect, type ReselectFunction } from './options.js';
import { KeyedSerializer } from './serializer.js';

type EventKind = 'request' | 'close';
type EventRunner = (record: ConnectionRecord, kind: EventKind, options: EventOptions) => Promise<void>;

/** What begin knows about one connection id. */
class ConnectionRecord {
  established = false;
  /** The last successful request, its connection replaced by the last connection the chain returned. */
  request: NetworkServiceRequest | undefined;
  /** What begin last returned to its caller (the client's merge compares against it). */
  returned: Connection | undefined;
  readonly factory: EventFactory;

  constructor(
    readonly id: string,
    /** The rest of the chain after begin, as of the last request: where events start. */
    public next: Next,
    /** The last request's context: events take its values, logger and clock. */
    public requestCtx: Context,
    runEvent: EventRunner,
  ) {
    this.factory = {
      request: (options = {}) => runEvent(this, 'request', options),
      close: (options = {}) => runEvent(this, 'close', options),
    };
  }
}

export interface BeginSettings {
  readonly side: 'server' | 'client';
  readonly signal: AbortSignal | undefined;
  readonly eventTimeoutMs: number;
  readonly reselect: ReselectFunction;
}

export function beginSettings(
  side: 'server' | 'client',
  options: { signal?: AbortSignal; eventTimeoutMs?: number; reselect?: ReselectFunction },
): BeginSettings {
  const eventTimeoutMs = options.eventTimeoutMs ?? DEFAULT_EVENT_TIMEOUT_MS;
  if (!Number.isFinite(eventTimeoutMs) || eventTimeoutMs <= 0) {
    throw new InvalidArgumentError(`begin's eventTimeoutMs must be a positive number, not ${eventTimeoutMs}`);
  }
  return { side, signal: options.signal, eventTimeoutMs, reselect: options.reselect ?? defaultReselect };
}

/**
 * The shared machinery of beginServer and beginClient: one event at a time per connection id, in
 * arrival order, and an event factory per connection that replays the chain from begin's position.
 */
export class Begin {
  private readonly records = new Map<string, ConnectionRecord>();
  private readonly serializer = new KeyedSerializer();

  constructor(private readonly settings: BeginSettings) {}

  request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
    // An outer begin already serializes this connection; its events start from there.
    if (ctx.value(eventFactoryKey) !== undefined) return next.request(ctx, request);
    const id = request.connection?.id ?? '';
    if (id === '') {
      return Promise.reject(
        new InvalidArgumentError('begin needs a connection id: put updatepath before begin in the chain'),
      );
    }
    return this.serializer.run(id, () => this.handleRequest(id, ctx, request, next));
  }

  close(ctx: Context, connection: Connection, next: Next): Promise<void> {
    if (ctx.value(eventFactoryKey) !== undefined) return next.close(ctx, connection);
    const id = connection.id;
    return this.serializer.run(id, () => this.handleClose(id, ctx, next));
  }

  /** Connection ids begin currently tracks (established or being established). */
  get size(): number {
    return this.records.size;
  }

  private async handleRequest(
    id: string,
    ctx: Context,
    request: NetworkServiceRequest,
    next: Next,
  ): Promise<Connection> {
    let record = this.records.get(id);
    if (record === undefined) {
      record = new ConnectionRecord(id, next, ctx, (r, kind, options) => this.runEvent(r, kind, options));
      this.records.set(id, record);
    }
    const requested = request.connection!;
    if (record.established && record.request?.connection) {
      if (this.settings.side === 'server' && requested.state === State.RESELECT_REQUESTED) {
        await this.closeForReselect(record, next);
      } else if (this.settings.side === 'client' && record.returned !== undefined) {
        request.connection = mergeConnection(record.returned, requested, record.request.connection);
      }
    }
    let returned: Connection;
    try {
      returned = await next.request(ctx.withValue(eventFactoryKey, record.factory), request);
    } catch (error) {
      if (!record.established) this.forget(record);
      throw error;
    }
    if (this.settings.side === 'server') returned.state = State.UP;
    // Copies: the caller and the elements before begin go on changing the objects they hold.
    record.request = {
      connection: copyMessage(returned),
      mechanism_preferences: copyMessage(request.mechanism_preferences),
    };
    // Only the client's merge compares against what was returned.
    record.returned = this.settings.side === 'client' ? copyMessage(returned) : undefined;
    record.next = next;
    record.requestCtx = ctx;
    record.established = true;
    return returned;
  }

  private async handleClose(id: string, ctx: Context, next: Next): Promise<void> {
    const record = this.records.get(id);
    // Unknown, or its first request failed: nothing to undo, so Close is idempotent for the chain.
    if (record === undefined || !record.established || !record.request?.connection) return;
    try {
      // The caller's copy may be stale; the chain closes what it last returned.
      await next.close(
        ctx.withValue(eventFactoryKey, record.factory),
        copyMessage(record.request.connection),
      );
    } finally {
      this.forget(record);
    }
  }

  /** A client asked to reselect: its old path is closed before the new Request goes through. */
  private async closeForReselect(record: ConnectionRecord, next: Next): Promise<void> {
    const [ctx, cancel] = this.eventContext(record);
    try {
      await next.close(ctx, copyMessage(record.request!.connection!));
    } catch (error) {
      ctx.logger.warn(
        { connectionId: record.id, error: messageOf(error) },
        'closing the old connection for a reselect failed',
      );
    } finally {
      cancel();
    }
    record.established = false;
  }

  private runEvent(record: ConnectionRecord, kind: EventKind, options: EventOptions): Promise<void> {
    return this.serializer.run(record.id, async () => {
      if (this.records.get(record.id) !== record || !record.established || record.request === undefined)
        return;
      if (options.cancel?.aborted || this.settings.signal?.aborted) return;
      const [ctx, cancel] = this.eventContext(record);
      try {
        if (kind === 'close') await this.closeEvent(ctx, record);
        else await this.requestEvent(ctx, record, options.reselect === true);
      } finally {
        cancel();
      }
    });
  }

  private async closeEvent(ctx: Context, record: ConnectionRecord): Promise<void> {
    ctx.logger.debug({ connectionId: record.id }, 'begin: close event');
    try {
      await record.next.close(ctx, copyMessage(record.request!.connection!));
    } finally {
      this.forget(record);
    }
  }

  private async requestEvent(ctx: Context, record: ConnectionRecord, reselect: boolean): Promise<void> {
    ctx.logger.debug({ connectionId: record.id, reselect }, 'begin: request event');
    const request = copyMessage(record.request!);
    if (reselect && this.settings.side === 'client') {
      try {
        await record.next.close(ctx, copyMessage(request.connection!));
      } catch (error) {
        ctx.logger.debug(
          { connectionId: record.id, error: messageOf(error) },
          'begin: reselect close failed',
        );
      }
      this.settings.reselect(request);
    }
    const returned = await record.next.request(ctx, request);
    record.request!.connection = { ...copyMessage(returned), state: State.UP };
  }

  private eventContext(record: ConnectionRecord): ReturnType<typeof eventContext> {
    const [ctx, cancel] = eventContext(record.requestCtx, this.settings.eventTimeoutMs, this.settings.signal);
    return [ctx.withValue(eventFactoryKey, record.factory), cancel];
  }

  private forget(record: ConnectionRecord): void {
    record.established = false;
    if (this.records.get(record.id) === record) this.records.delete(record.id);
  }
}
