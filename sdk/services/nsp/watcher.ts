/**
 * Follows the NSP's targets over reconnects. After every (re)connect the watcher rebuilds the full
 * view from the Monitor snapshot and emits only what differs from the view it had, so a restarted
 * NSP that kept its targets causes no removal downstream; then it emits each live change.
 */
import type { Logger } from 'pino';

import { sleep } from '../../core/index.js';
import { backoffDelay } from '../common/index.js';
import type { MonitorStream, NspClient } from './client.js';
import type { TargetEvent } from './protocol.js';
import { normaliseTarget, sameTarget, type NormalisedTarget, type NspTarget } from './target.js';

export type TargetChange =
  | { readonly kind: 'added'; readonly target: NspTarget }
  | { readonly kind: 'removed'; readonly target: NspTarget }
  /** Only after a resync: a target whose context changed while the watcher was disconnected. */
  | { readonly kind: 'updated'; readonly target: NspTarget; readonly previous: NspTarget };

export interface TargetWatcher extends AsyncIterable<TargetChange> {
  /** Resolves once the first full view has arrived (its targets were emitted as `added`). */
  readonly synced: Promise<void>;
  /** The current view. */
  targets(): NspTarget[];
  /** How many full views the watcher has received: 1 after the first connect, +1 after each reconnect. */
  readonly syncs: number;
  /** Stops watching; iteration ends after the changes already emitted. */
  close(): void;
}

/** The changes for one consumer, in order; the consumer pulls at its own pace. */
class ChangeQueue implements AsyncIterable<TargetChange> {
  private readonly items: TargetChange[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(change: TargetChange): void {
    this.items.push(change);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TargetChange> {
    for (;;) {
      const item = this.items.shift();
      if (item) {
        yield item;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

class ResyncingWatcher implements TargetWatcher {
  private view = new Map<string, NormalisedTarget>();
  private readonly queue = new ChangeQueue();
  private readonly stop = new AbortController();
  private readonly logger: Logger | undefined;
  private stream: MonitorStream | undefined;
  private markSynced!: () => void;
  readonly synced = new Promise<void>((resolve) => (this.markSynced = resolve));
  syncs = 0;

  constructor(private readonly client: NspClient) {
    this.logger = client.logger?.child({ component: 'nsp-watcher' });
    void this.run();
  }

  targets(): NspTarget[] {
    return [...this.view.values()];
  }

  close(): void {
    this.stop.abort();
    this.stream?.cancel();
    this.queue.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<TargetChange> {
    return this.queue[Symbol.asyncIterator]();
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.stop.signal.aborted;) {
      try {
        const receivedAny = await this.follow();
        if (receivedAny) failures = 0;
      } catch (error) {
        if (this.stop.signal.aborted) return;
        this.logger?.warn({ error, address: this.client.address }, 'monitor stream lost; reconnecting');
      }
      try {
        await sleep(this.client.clock, backoffDelay(failures++, this.client.backoff), this.stop.signal);
      } catch {
        return;
      }
    }
  }

  /** One connection: snapshot, resync, live changes until the stream ends. Returns whether it got data. */
  private async follow(): Promise<boolean> {
    const stream = this.client.monitor();
    this.stream = stream;
    let snapshotSize = await stream.snapshotSize;
    const fresh = new Map<string, NormalisedTarget>();
    if (snapshotSize === undefined) {
      // A server without the snapshot header (upstream Meridio): take GetTargets as the view; the
      // stream's replay of the same targets then changes nothing.
      for (const listed of await this.client.getTargets()) {
        const target = normaliseTarget(listed);
        fresh.set(target.key, target);
      }
      snapshotSize = 0;
    }
    let receivedAny = false;
    let pending = snapshotSize;
    if (pending === 0) this.resync(fresh);
    for await (const event of stream) {
      receivedAny = true;
      if (pending > 0) {
        const target = normaliseTarget(event.target);
        fresh.set(target.key, target);
        if (--pending === 0) this.resync(fresh);
      } else {
        this.apply(event);
      }
    }
    return receivedAny;
  }

  private resync(fresh: Map<string, NormalisedTarget>): void {
    const changes: TargetChange[] = [];
    for (const [key, old] of this.view) if (!fresh.has(key)) changes.push({ kind: 'removed', target: old });
    for (const [key, target] of fresh) {
      const old = this.view.get(key);
      if (!old) changes.push({ kind: 'added', target });
      else if (!sameTarget(old, target)) changes.push({ kind: 'updated', target, previous: old });
    }
    this.view = fresh;
    this.syncs++;
    this.logger?.info({ targets: fresh.size, changes: changes.length, syncs: this.syncs }, 'NSP view synced');
    for (const change of changes) this.queue.push(change);
    this.markSynced();
  }

  private apply(event: TargetEvent): void {
    const target = normaliseTarget(event.target);
    const old = this.view.get(target.key);
    if (event.status === 'Unregister') {
      if (!old) return;
      this.view.delete(target.key);
      this.queue.push({ kind: 'removed', target: old });
      return;
    }
    if (old && sameTarget(old, target)) return;
    this.view.set(target.key, target);
    this.queue.push(old ? { kind: 'updated', target, previous: old } : { kind: 'added', target });
  }
}

/** Starts watching the NSP's targets through `client`; iterate the result for the changes. */
export function watchTargets(client: NspClient): TargetWatcher {
  return new ResyncingWatcher(client);
}
