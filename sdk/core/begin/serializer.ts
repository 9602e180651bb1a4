interface Queue {
  tail: Promise<void>;
  pending: number;
}

/**
 * Runs tasks one at a time per key, in the order `run` was called; different keys run concurrently. A
 * key's queue is removed as soon as it has nothing left to run, so memory follows the busy keys only.
 */
export class KeyedSerializer {
  private readonly queues = new Map<string, Queue>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = { tail: Promise.resolve(), pending: 0 };
      this.queues.set(key, queue);
    }
    const current = queue;
    current.pending += 1;
    const result = current.tail.then(task);
    const settled = (): void => {
      current.pending -= 1;
      if (current.pending === 0 && this.queues.get(key) === current) this.queues.delete(key);
    };
    current.tail = result.then(settled, settled);
    return result;
  }

  /** Keys with queued or running tasks. */
  get activeKeys(): number {
    return this.queues.size;
  }
}
