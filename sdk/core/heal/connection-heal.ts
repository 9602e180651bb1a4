import { sleep } from '../clock.js';
import { cloneConnection, currentSegment, timestampToMs } from '../connection.js';
import type { Context } from '../context.js';
import type { EventFactory } from '../begin/index.js';
import { codeOf, messageOf } from '../errors.js';
import { type Connection, type ConnectionEvent, State } from '../types.js';
import type { HealSettings } from './options.js';

/** What went wrong: the control plane lost the connection, or its path beyond the NSM is broken. */
type Breakage = 'control' | 'path';

/**
 * Heal for one connection: watches it through the NSM's MonitorConnection (selector = this hop's
 * segment) while it is held, and re-requests it through begin's event factory when it breaks:
 * - reported DOWN (its endpoint or data path is gone), or the liveness check fails → reselect;
 * - missing from a (re)connected stream's initial state, or deleted → request again as it is, and
 *   reselect from the second attempt on when the NSM answers (its stream is up) but still fails.
 * Attempts repeat every `retryIntervalMs` until one succeeds, the connection is closed (begin then
 * skips the event) or the client's lifetime ends. While the NSM is unreachable, the stream reconnects
 * with backoff; its initial state then says whether the connection survived.
 */
export class ConnectionHeal {
  private watching: AbortController | undefined;
  private healing: Promise<void> | undefined;
  private streamUp = false;

  constructor(
    readonly id: string,
    private events: EventFactory,
    private connection: Connection,
    private ctx: Context,
    private readonly settings: HealSettings,
    private readonly onIdle: (heal: ConnectionHeal) => void,
  ) {}

  /** After each successful Request: the latest connection, event factory and context; watching (re)starts. */
  update(events: EventFactory, connection: Connection, ctx: Context): void {
    this.events = events;
    this.connection = cloneConnection(connection);
    this.ctx = ctx;
    if (this.watching === undefined && !this.settings.signal?.aborted) this.startWatching();
  }

  /** Close (the caller's, or the close of our own reselect): stop watching; a running heal goes on. */
  closed(): void {
    this.watching?.abort();
    this.watching = undefined;
    this.streamUp = false;
    if (this.healing === undefined) this.onIdle(this);
  }

  get idle(): boolean {
    return this.watching === undefined && this.healing === undefined;
  }

  private startWatching(): void {
    const controller = new AbortController();
    this.watching = controller;
    const stop = (): void => controller.abort();
    this.settings.signal?.addEventListener('abort', stop, { once: true });
    const segment = currentSegment(this.connection);
    const selector = { path_segments: [{ id: segment?.id ?? this.id, name: segment?.name ?? '' }] };
    void this.watch(selector, controller.signal).finally(() =>
      this.settings.signal?.removeEventListener('abort', stop),
    );
    if (this.settings.livenessCheck !== undefined) void this.checkLiveness(controller.signal);
  }

  private async watch(
    selector: { path_segments: { id: string; name: string }[] },
    signal: AbortSignal,
  ): Promise<void> {
    let delay = this.settings.retryIntervalMs;
    while (!signal.aborted) {
      try {
        for await (const event of this.settings.monitor.monitorConnections(selector, { signal })) {
          this.streamUp = true;
          delay = this.settings.retryIntervalMs;
          this.onEvent(event);
        }
      } catch (error) {
        this.ctx.logger.debug(
          { connectionId: this.id, error: messageOf(error) },
          'heal: the monitor stream broke; reconnecting',
        );
      }
      this.streamUp = false;
      if (signal.aborted) return;
      await sleep(this.ctx.clock, delay, signal).catch(() => undefined);
      delay = Math.min(delay * 2, this.settings.maxReconnectMs);
    }
  }

  private async checkLiveness(signal: AbortSignal): Promise<void> {
    const check = this.settings.livenessCheck!;
    while (!signal.aborted) {
      await sleep(this.ctx.clock, this.settings.livenessIntervalMs, signal).catch(() => undefined);
      if (signal.aborted || this.healing !== undefined) continue;
      let alive: boolean;
      try {
        alive = await check(this.ctx, cloneConnection(this.connection));
      } catch (error) {
        this.ctx.logger.warn(
          { connectionId: this.id, error: messageOf(error) },
          'heal: the liveness check threw',
        );
        alive = false;
      }
      if (!alive && !signal.aborted) this.heal('path');
    }
  }

  /**
   * Whether `reported` is an older version of the connection than the one the last successful Request
   * returned (its expiry on this hop's segment is earlier): the DOWN of a refresh that failed just
   * before another succeeded arrives after that success and must not tear the connection down.
   */
  private isStale(reported: Connection): boolean {
    const latest = currentSegment(this.connection);
    if (latest === undefined) return false;
    const seen = reported.path?.path_segments.find((segment) => segment.id === latest.id);
    const reportedMs = timestampToMs(seen?.expires);
    const latestMs = timestampToMs(latest.expires);
    return reportedMs !== undefined && latestMs !== undefined && reportedMs < latestMs;
  }

  private onEvent(event: ConnectionEvent): void {
    const mine = Object.values(event.connections);
    const down = mine.some((c) => c.state === State.DOWN && !this.isStale(c));
    if (event.type === 'INITIAL_STATE_TRANSFER') {
      if (mine.length === 0) this.heal('control');
      else if (down) this.heal('path');
    } else if (event.type === 'UPDATE') {
      if (down) this.heal('path');
    } else if (event.type === 'DELETE') {
      this.heal('control');
    }
  }

  private heal(breakage: Breakage): void {
    if (this.healing !== undefined) return;
    this.ctx.logger.info(
      { connectionId: this.id, breakage },
      'heal: the connection broke; requesting it again',
    );
    this.healing = this.healLoop(breakage === 'path').finally(() => {
      this.healing = undefined;
      if (this.watching === undefined) this.onIdle(this);
    });
  }

  private async healLoop(reselectFirst: boolean): Promise<void> {
    let reselect = reselectFirst;
    const lifetime = this.settings.signal;
    for (;;) {
      if (lifetime?.aborted) return;
      try {
        // Resolves without running when the connection was closed meanwhile: nothing left to heal.
        await this.events.request({ reselect, ...(lifetime ? { cancel: lifetime } : {}) });
        this.ctx.logger.info({ connectionId: this.id, reselect }, 'heal: done');
        return;
      } catch (error) {
        // The NSM answered but could not restore the path as it was: choose the path again.
        if (this.streamUp) reselect = true;
        this.ctx.logger.warn(
          { connectionId: this.id, reselect, code: codeOf(error), error: messageOf(error) },
          'heal: requesting the connection again failed; trying again',
        );
      }
      await sleep(this.ctx.clock, this.settings.retryIntervalMs, lifetime).catch(() => undefined);
    }
  }
}
