/**
 * The NSP's view of the registered targets, independent of gRPC: register (add, keepalive or update),
 * unregister, expiry after a keepalive without re-registration, and ordered change streams. Every
 * change is written to the store before it is applied in memory and announced, so a store failure
 * changes nothing and a restart resumes from what subscribers were told.
 */
import type { Logger } from 'pino';

import { AlreadyExistsError, UnavailableError, type Clock, type TimerHandle } from '../../sdk/core/index.js';
import {
  describeTarget,
  normaliseTarget,
  sameTarget,
  type NormalisedTarget,
  type NspTarget,
  type TargetEvent,
} from '../../sdk/services/nsp/index.js';
import { QueuedSubscription, type TargetSubscription } from './subscription.js';
import type { TargetStore } from './store.js';

export type RegisterOutcome = 'added' | 'refreshed' | 'updated';

export interface TargetRegistryOptions {
  readonly store: TargetStore;
  readonly clock: Clock;
  /** A target not registered again within this time is removed. */
  readonly keepaliveMs: number;
  readonly logger?: Logger;
  /**
   * The least time a target loaded at start still has, even if its deadline passed while the NSP was
   * down: registrars could not reach a dead NSP. Default: half a keepalive, which covers a registrar's
   * next attempt (every keepalive/3).
   */
  readonly restartGraceMs?: number;
  /** A subscriber further behind than this is cut off (default 65536 events). */
  readonly maxQueuedEvents?: number;
}

interface Entry {
  readonly target: NormalisedTarget;
  expiresAt: number;
  timer: TimerHandle | undefined;
}

type TargetInput = Parameters<typeof normaliseTarget>[0];

export class TargetRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly keyByIdentifier = new Map<string, string>();
  private readonly keyByAddress = new Map<string, string>();
  private readonly subscriptions = new Set<QueuedSubscription>();
  private readonly maxQueuedEvents: number;
  private closed = false;

  constructor(private readonly options: TargetRegistryOptions) {
    this.maxQueuedEvents = options.maxQueuedEvents ?? 65536;
    const now = options.clock.now();
    const earliest = now + (options.restartGraceMs ?? Math.floor(options.keepaliveMs / 2));
    for (const stored of options.store.load()) {
      const target = normaliseTarget(stored);
      const entry: Entry = { target, expiresAt: Math.max(stored.expiresAt, earliest), timer: undefined };
      this.index(entry);
      this.schedule(entry);
    }
    if (this.entries.size > 0) {
      options.logger?.info({ targets: this.entries.size }, 'restored registered targets');
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds a target, refreshes it (same addresses and context: a keepalive), or updates it (same
   * addresses, other context: announced as Unregister of the old, then Register of the new).
   * Throws InvalidArgumentError for a malformed target, AlreadyExistsError when its identifier or one of
   * its addresses belongs to another target.
   */
  register(input: TargetInput): RegisterOutcome {
    this.assertOpen();
    const target = normaliseTarget(input);
    this.assertNoConflict(target);
    const expiresAt = this.options.clock.now() + this.options.keepaliveMs;
    const existing = this.entries.get(target.key);
    if (existing && sameTarget(existing.target, target)) {
      this.options.store.touch(target.key, expiresAt);
      existing.expiresAt = expiresAt;
      this.schedule(existing);
      return 'refreshed';
    }
    this.options.store.save({ key: target.key, ips: target.ips, context: target.context, expiresAt });
    if (existing) this.unindex(existing);
    const entry: Entry = { target, expiresAt, timer: undefined };
    this.index(entry);
    this.schedule(entry);
    if (existing) {
      this.options.logger?.info({ from: existing.target, to: target }, 'target updated');
      this.publish({ status: 'Unregister', target: existing.target });
    } else {
      this.options.logger?.info({ target }, 'target registered');
    }
    this.publish({ status: 'Register', target });
    return existing ? 'updated' : 'added';
  }

  /**
   * Removes the target with these addresses (its context is not compared). Unknown targets are not an
   * error: unregistering is idempotent, as a Close is. Returns whether a target was removed.
   */
  unregister(input: TargetInput): boolean {
    this.assertOpen();
    const target = normaliseTarget({ ips: input.ips, context: {} });
    const existing = this.entries.get(target.key);
    if (!existing) return false;
    this.remove(existing);
    this.options.logger?.info({ target: existing.target }, 'target unregistered');
    return true;
  }

  targets(): NspTarget[] {
    return [...this.entries.values()].map((entry) => entry.target);
  }

  /** The time (ms since the epoch) the target with this key expires, for diagnostics and tests. */
  expiryOf(key: string): number | undefined {
    return this.entries.get(key)?.expiresAt;
  }

  /** Every registered target as a Register event, then every change, in order. */
  subscribe(): TargetSubscription {
    this.assertOpen();
    const snapshot = this.targets().map((target): TargetEvent => ({ status: 'Register', target }));
    const subscription = new QueuedSubscription(snapshot, this.maxQueuedEvents, (closed) =>
      this.subscriptions.delete(closed),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** Stops the expiry timers and ends every subscription (their streams end); the store stays open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries.values()) this.cancelTimer(entry);
    for (const subscription of [...this.subscriptions]) subscription.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError('the NSP is shutting down; try again on its successor');
  }

  private assertNoConflict(target: NormalisedTarget): void {
    if (target.identifier !== undefined) {
      const holderKey = this.keyByIdentifier.get(target.identifier);
      const holder = holderKey === undefined ? undefined : this.entries.get(holderKey);
      if (holder && holderKey !== target.key) {
        throw new AlreadyExistsError(
          `identifier ${target.identifier} is held by ${describeTarget(holder.target)}; pick another identifier`,
        );
      }
    }
    for (const address of target.key.split(',')) {
      const holderKey = this.keyByAddress.get(address);
      const holder = holderKey === undefined ? undefined : this.entries.get(holderKey);
      if (holder && holderKey !== target.key) {
        throw new AlreadyExistsError(
          `address ${address} is held by ${describeTarget(holder.target)}; a target is identified by all its addresses, so unregister that one first`,
        );
      }
    }
  }

  private index(entry: Entry): void {
    const { target } = entry;
    this.entries.set(target.key, entry);
    if (target.identifier !== undefined) this.keyByIdentifier.set(target.identifier, target.key);
    for (const address of target.key.split(',')) this.keyByAddress.set(address, target.key);
  }

  private unindex(entry: Entry): void {
    const { target } = entry;
    this.cancelTimer(entry);
    if (target.identifier !== undefined && this.keyByIdentifier.get(target.identifier) === target.key) {
      this.keyByIdentifier.delete(target.identifier);
    }
    for (const address of target.key.split(',')) this.keyByAddress.delete(address);
    // Entries keeps its key: an update re-sets it in place, which keeps the snapshot order.
  }

  private remove(entry: Entry): void {
    this.options.store.remove(entry.target.key);
    this.unindex(entry);
    this.entries.delete(entry.target.key);
    this.publish({ status: 'Unregister', target: entry.target });
  }

  private schedule(entry: Entry): void {
    this.cancelTimer(entry);
    const { clock } = this.options;
    entry.timer = clock.setTimeout(() => this.expire(entry), entry.expiresAt - clock.now());
  }

  private cancelTimer(entry: Entry): void {
    if (entry.timer !== undefined) this.options.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
  }

  private expire(entry: Entry): void {
    entry.timer = undefined;
    if (this.closed || this.entries.get(entry.target.key) !== entry) return;
    if (entry.expiresAt > this.options.clock.now()) {
      this.schedule(entry);
      return;
    }
    this.options.logger?.info(
      { target: entry.target },
      'target expired: not registered again within the keepalive',
    );
    this.remove(entry);
  }

  private publish(event: TargetEvent): void {
    for (const subscription of this.subscriptions) subscription.push(event);
  }
}
