/**
 * One Monitor subscriber's queue. The registry appends synchronously (so the snapshot and the live
 * events form one ordered sequence with nothing lost between them); the subscriber pulls at its own
 * pace, so a slow one never delays the others. A subscriber that falls too far behind is cut off with
 * RESOURCE_EXHAUSTED rather than growing memory without bound: it reconnects and resyncs.
 */
import { ResourceExhaustedError } from '../../sdk/core/index.js';
import type { TargetEvent } from '../../sdk/services/nsp/index.js';

export interface TargetSubscription {
  /** How many of the first events are the snapshot of targets registered when subscribing. */
  readonly snapshotSize: number;
  /** The next event; undefined once the subscription is closed; rejects when it was cut off. */
  next(): Promise<TargetEvent | undefined>;
  close(): void;
}

export class QueuedSubscription implements TargetSubscription {
  private queue: TargetEvent[];
  private head = 0;
  private waiter:
    { resolve: (event: TargetEvent | undefined) => void; reject: (error: Error) => void } | undefined;
  private closed = false;
  private failure: Error | undefined;

  constructor(
    snapshot: readonly TargetEvent[],
    /** How far behind the live events the subscriber may fall (the snapshot comes on top). */
    private readonly maxQueued: number,
    private readonly onClose: (subscription: QueuedSubscription) => void,
  ) {
    this.queue = [...snapshot];
    this.snapshotSize = snapshot.length;
  }

  readonly snapshotSize: number;

  push(event: TargetEvent): void {
    if (this.closed) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(event);
      return;
    }
    this.queue.push(event);
    if (this.queue.length - this.head > this.maxQueued + this.snapshotSize) {
      this.fail(
        new ResourceExhaustedError(
          `the monitor subscriber fell more than ${this.maxQueued} events behind; reconnect to resync`,
        ),
      );
    }
  }

  next(): Promise<TargetEvent | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.head < this.queue.length) {
      const event = this.queue[this.head++];
      // Drop consumed events now and then, so a long-lived queue does not keep them all.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve(event);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.waiter?.resolve(undefined);
    this.waiter = undefined;
  }

  private fail(error: Error): void {
    this.failure = error;
    this.queue = [];
    this.head = 0;
    this.close();
  }
}
