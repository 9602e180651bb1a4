/**
 * Group commit for Allocate calls: the requests that arrive in one turn of the event loop are
 * served in one transaction, so 50 concurrent clients wait for one disk sync instead of 50 in a row.
 * Order is kept: requests are served in the order they arrived.
 */
import type { AllocateRequest, SubnetAllocator } from './allocator.js';
import type { Allocation } from './store.js';

interface Pending {
  readonly request: AllocateRequest;
  resolve(allocation: Allocation): void;
  reject(error: unknown): void;
}

export class AllocationBatcher {
  private queue: Pending[] = [];

  constructor(private readonly allocator: SubnetAllocator) {}

  allocate(request: AllocateRequest): Promise<Allocation> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ request, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    let results;
    try {
      results = this.allocator.allocateAll(batch.map((pending) => pending.request));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const result = results[index];
      if (result instanceof Error || result === undefined) pending.reject(result);
      else pending.resolve(result);
    });
  }
}
