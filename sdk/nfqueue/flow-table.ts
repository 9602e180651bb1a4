import { InvalidArgumentError, ResourceExhaustedError } from '../core/index.js';
import { DEFAULTS } from '../defaults.js';
import { FlowTableBusyError } from './errors.js';
import { flowPacket, type FlowTuple } from './flow-packet.js';
import { nativeBinding, type NativeLookup } from './native.js';

/**
 * Word layout of the shared table. It must match native/shared_table.h; `createFlowTable` checks it
 * against the addon's own description whenever the addon is loaded.
 */
const LAYOUT = Object.freeze({
  magic: 0x4d4c4254,
  wordGeneration: 1,
  wordSeed: 2,
  wordCapacity: 3,
  wordSize0: 4,
  wordMaxTargets: 6,
  wordReaderCount: 7,
  wordFirstReader: 8,
  maxReaders: 56,
  entriesOffset: 256,
});

export interface FlowTableOptions {
  /** The largest table (M) it will ever hold; default the trench's Maglev table size. */
  capacity?: number;
  /** Identifiers are 1..maxTargets; default the trench's slot count. */
  maxTargets?: number;
  /** Seed of the flow hash; every LB of a trench must use the same one. Default the trench's seed. */
  hashSeed?: number;
  /** How many queue threads may read it at once (one per open queue); default 8. */
  readers?: number;
}

export interface PublishOptions {
  /** How long to wait for queue threads to leave the buffer about to be overwritten; default 1000 ms. */
  timeoutMs?: number;
}

/** What the data path decides for one packet: its flow hash, the table entry, and the identifier (0 = drop). */
export type FlowLookup = NativeLookup;

/**
 * The lookup table shared between TypeScript (the only writer) and the native queue threads. Two
 * buffers: `publish` fills the inactive one and switches the generation atomically, after every
 * reader has left the buffer it overwrites, so a thread never sees a half-written table.
 */
export interface FlowTable {
  readonly capacity: number;
  readonly maxTargets: number;
  readonly hashSeed: number;
  /** Increases by one per publish; 0 before the first (then every packet gets identifier 0). */
  readonly generation: number;
  /** A read-only copy of the active entries (identifier per entry). */
  entries(): Uint16Array;
  /** Makes `entries` (identifiers 0..maxTargets, at most `capacity` of them) the active table. */
  publish(entries: Uint16Array, options?: PublishOptions): Promise<number>;
  /** What the queue threads decide for this packet under the active table. */
  lookup(packet: Uint8Array): FlowLookup;
  /** What the queue threads decide for packets of this flow (e.g. to explain where a client went). */
  lookupFlow(flow: FlowTuple): FlowLookup;
}

export function createFlowTable(options: FlowTableOptions = {}): FlowTable {
  const capacity = options.capacity ?? DEFAULTS.maglevTableSize;
  const maxTargets = options.maxTargets ?? DEFAULTS.maxTargets;
  const hashSeed = options.hashSeed ?? DEFAULTS.maglevSeed;
  const readers = options.readers ?? 8;
  requireInteger('capacity', capacity, 1, 1 << 24);
  requireInteger('maxTargets', maxTargets, 1, 0xffff);
  requireInteger('hashSeed', hashSeed, 0, 0xffffffff);
  requireInteger('readers', readers, 1, LAYOUT.maxReaders);
  return new SharedFlowTable(capacity, maxTargets, hashSeed, readers);
}

/** The queue's view of a table: its words and reader slots. Not part of the folder's public surface. */
export class SharedFlowTable implements FlowTable {
  readonly words: Int32Array;
  private readonly readerInUse: boolean[];
  private previousGeneration: number | undefined;
  private publishing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly capacity: number,
    readonly maxTargets: number,
    readonly hashSeed: number,
    readers: number,
  ) {
    const bytes = LAYOUT.entriesOffset + 2 * capacity * Uint16Array.BYTES_PER_ELEMENT;
    this.words = new Int32Array(new SharedArrayBuffer(Math.ceil(bytes / 8) * 8));
    this.words[LAYOUT.wordSeed] = hashSeed | 0;
    this.words[LAYOUT.wordCapacity] = capacity;
    this.words[LAYOUT.wordMaxTargets] = maxTargets;
    this.words[LAYOUT.wordReaderCount] = readers;
    Atomics.store(this.words, 0, LAYOUT.magic | 0);
    this.readerInUse = new Array<boolean>(readers).fill(false);
  }

  get generation(): number {
    return Atomics.load(this.words, LAYOUT.wordGeneration);
  }

  entries(): Uint16Array {
    const generation = this.generation;
    return this.buffer(generation & 1).slice(0, this.sizeOf(generation & 1));
  }

  lookup(packet: Uint8Array): FlowLookup {
    assertLayoutMatches();
    return nativeBinding().lookupPacket(this.words, packet);
  }

  lookupFlow(flow: FlowTuple): FlowLookup {
    return this.lookup(flowPacket(flow));
  }

  publish(entries: Uint16Array, options: PublishOptions = {}): Promise<number> {
    this.validateEntries(entries);
    const copy = entries.slice();
    const result = this.publishing.then(() => this.publishNow(copy, options.timeoutMs ?? 1000));
    this.publishing = result.catch(() => undefined);
    return result;
  }

  acquireReader(): number {
    const slot = this.readerInUse.indexOf(false);
    if (slot < 0) {
      throw new ResourceExhaustedError(
        `The flow table has ${this.readerInUse.length} reader slots and all are used by open queues; ` +
          `create it with more readers.`,
      );
    }
    this.readerInUse[slot] = true;
    return slot;
  }

  releaseReader(slot: number): void {
    Atomics.store(this.words, LAYOUT.wordFirstReader + slot, 0);
    this.readerInUse[slot] = false;
  }

  private async publishNow(entries: Uint16Array, timeoutMs: number): Promise<number> {
    const current = this.generation;
    if (this.previousGeneration !== undefined)
      await this.waitForReadersToLeave(this.previousGeneration, timeoutMs);
    // Skips -1 so that "generation + 1" in a reader slot is never 0 (= not reading); -1 and 1 share parity.
    let next = (current + 1) | 0;
    if (next === -1) next = 1;
    const target = next & 1;
    this.buffer(target).set(entries);
    Atomics.store(this.words, LAYOUT.wordSize0 + target, entries.length);
    Atomics.store(this.words, LAYOUT.wordGeneration, next);
    this.previousGeneration = current;
    return next;
  }

  /** Resolves once no reader slot announces `generation`, whose buffer the next publish overwrites. */
  private async waitForReadersToLeave(generation: number, timeoutMs: number): Promise<void> {
    const announced = (generation + 1) | 0;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      if (!this.anyReaderAt(announced)) return;
      if (Date.now() > deadline) {
        throw new FlowTableBusyError(
          `A queue thread has been reading table generation ${generation} for more than ${timeoutMs} ms, ` +
            `so its buffer cannot be reused; the table was not changed.`,
        );
      }
      // Readers hold a slot only while deciding one batch (microseconds): yield and look again.
      await new Promise((resolve) => (attempt < 100 ? setImmediate(resolve) : setTimeout(resolve, 1)));
    }
  }

  private anyReaderAt(announced: number): boolean {
    for (let slot = 0; slot < this.readerInUse.length; slot++) {
      if (Atomics.load(this.words, LAYOUT.wordFirstReader + slot) === announced) return true;
    }
    return false;
  }

  private buffer(index: number): Uint16Array {
    const offset = LAYOUT.entriesOffset + index * this.capacity * Uint16Array.BYTES_PER_ELEMENT;
    return new Uint16Array(this.words.buffer, offset, this.capacity);
  }

  private sizeOf(index: number): number {
    return Atomics.load(this.words, LAYOUT.wordSize0 + index);
  }

  private validateEntries(entries: Uint16Array): void {
    if (entries.length > this.capacity) {
      throw new InvalidArgumentError(
        `A table of ${entries.length} entries does not fit the flow table's capacity of ${this.capacity}.`,
      );
    }
    for (let i = 0; i < entries.length; i++) {
      if (entries[i] > this.maxTargets) {
        throw new InvalidArgumentError(
          `Entry ${i} holds identifier ${entries[i]}, above the flow table's maximum of ${this.maxTargets}.`,
        );
      }
    }
  }
}

let layoutChecked = false;

/** The TypeScript and C++ descriptions of the shared memory must agree, or lookups read garbage. */
export function assertLayoutMatches(): void {
  if (layoutChecked) return;
  const native = nativeBinding().tableLayout;
  for (const [key, value] of Object.entries(LAYOUT)) {
    if (native[key as keyof typeof LAYOUT] !== value) {
      throw new InvalidArgumentError(
        `The NFQUEUE addon's flow table layout differs from the TypeScript one (${key}: ` +
          `${native[key as keyof typeof LAYOUT]} vs ${value}); rebuild the addon.`,
      );
    }
  }
  layoutChecked = true;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `The flow table option ${name} must be an integer from ${min} to ${max}, got ${value}.`,
    );
  }
}
