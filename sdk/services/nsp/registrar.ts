/**
 * Keeps targets registered at the NSP: registers each one, then registers it again every keepalive/3
 * so the NSP never expires a living target, retrying with backoff while the NSP is unreachable (a
 * restarted NSP gets every target back within keepalive/3).
 */
import type { Logger } from 'pino';

import type { TimerHandle } from '../../core/index.js';
import { DEFAULTS } from '../../defaults.js';
import { backoffDelay, retryWhileUnavailable, type CallOptions } from '../common/index.js';
import type { NspClient } from './client.js';
import { describeTarget, normaliseTarget, type NormalisedTarget, type NspTarget } from './target.js';

export interface TargetRegistrarOptions {
  /** The NSP's keepalive (default DEFAULTS.nspKeepaliveMs); refreshes happen every third of it. */
  readonly keepaliveMs?: number;
  /** Told about every failed refresh (the registrar keeps trying). */
  readonly onRefreshError?: (target: NspTarget, error: unknown) => void;
}

export interface TargetRegistrar {
  /**
   * Registers the target (or updates the context of one with the same addresses) and keeps it
   * registered. Waits while the NSP is unreachable; rejects when the NSP refuses it (for example
   * ALREADY_EXISTS for an identifier held by another target).
   */
  register(target: NspTarget, options?: CallOptions): Promise<void>;
  /** Stops refreshing the target and unregisters it. */
  unregister(target: NspTarget, options?: CallOptions): Promise<void>;
  registered(): NspTarget[];
  /** Stops refreshing every target without unregistering them: the NSP expires them after a keepalive. */
  close(): void;
}

interface Entry {
  target: NormalisedTarget;
  timer: TimerHandle | undefined;
  failures: number;
  inflight: Promise<void> | undefined;
}

class KeepaliveRegistrar implements TargetRegistrar {
  private readonly entries = new Map<string, Entry>();
  private readonly intervalMs: number;
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(
    private readonly client: NspClient,
    private readonly options: TargetRegistrarOptions,
  ) {
    this.intervalMs = Math.max(1, Math.floor((options.keepaliveMs ?? DEFAULTS.nspKeepaliveMs) / 3));
    this.logger = client.logger?.child({ component: 'nsp-registrar' });
  }

  async register(input: NspTarget, options: CallOptions = {}): Promise<void> {
    const target = normaliseTarget(input);
    const entry: Entry = this.entries.get(target.key) ?? {
      target,
      timer: undefined,
      failures: 0,
      inflight: undefined,
    };
    this.cancelTimer(entry);
    entry.target = target;
    this.entries.set(target.key, entry);
    await entry.inflight;
    try {
      await retryWhileUnavailable(() => this.client.register(target, options), {
        what: `Register ${describeTarget(target)}`,
        clock: this.client.clock,
        backoff: this.client.backoff,
        signal: options.signal,
        logger: this.logger,
      });
    } catch (error) {
      if (this.entries.get(target.key) === entry && entry.target === target) this.entries.delete(target.key);
      throw error;
    }
    if (this.entries.get(target.key) === entry && entry.target === target)
      this.schedule(entry, this.intervalMs);
  }

  async unregister(input: NspTarget, options: CallOptions = {}): Promise<void> {
    const target = normaliseTarget(input);
    const entry = this.entries.get(target.key);
    if (entry) {
      this.entries.delete(target.key);
      this.cancelTimer(entry);
      // A refresh still on the wire could land after the Unregister and bring the target back.
      await entry.inflight;
    }
    await this.client.unregister(target, options);
  }

  registered(): NspTarget[] {
    return [...this.entries.values()].map((entry) => entry.target);
  }

  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) this.cancelTimer(entry);
    this.entries.clear();
  }

  private schedule(entry: Entry, delayMs: number): void {
    this.cancelTimer(entry);
    if (this.closed) return;
    entry.timer = this.client.clock.setTimeout(() => {
      entry.timer = undefined;
      entry.inflight = this.refresh(entry);
    }, delayMs);
  }

  private cancelTimer(entry: Entry): void {
    if (entry.timer !== undefined) this.client.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private async refresh(entry: Entry): Promise<void> {
    const { target } = entry;
    try {
      await this.client.register(target, { timeoutMs: this.intervalMs });
      entry.failures = 0;
    } catch (error) {
      entry.failures++;
      this.logger?.warn({ target, error, failures: entry.failures }, 'refreshing the registration failed');
      this.options.onRefreshError?.(target, error);
    } finally {
      entry.inflight = undefined;
    }
    if (this.entries.get(target.key) !== entry || entry.target !== target || entry.timer !== undefined)
      return;
    const delayMs =
      entry.failures === 0
        ? this.intervalMs
        : Math.min(this.intervalMs, backoffDelay(entry.failures - 1, this.client.backoff));
    this.schedule(entry, delayMs);
  }
}

export function createTargetRegistrar(
  client: NspClient,
  options: TargetRegistrarOptions = {},
): TargetRegistrar {
  return new KeepaliveRegistrar(client, options);
}
