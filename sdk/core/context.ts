import pino, { type Logger } from 'pino';

import { Cancellation } from './cancellation.js';
import { type Clock, type TimerHandle, systemClock } from './clock.js';
import { CancelledError, DeadlineExceededError } from './errors.js';

/** A typed key for a context value. Create one per purpose with `contextKey`. */
export interface ContextKey<T> {
  readonly name: string;
  /** Phantom: ties the key to its value type. */
  readonly _type?: T;
}

export function contextKey<T>(name: string): ContextKey<T> {
  return Object.freeze({ name });
}

export type CancelFunction = (reason?: unknown) => void;

const silentLogger: Logger = pino({ level: 'silent' });

/**
 * One value and the values it was added to. A context has a handful of values and gets one more per
 * element that keeps state (begin, metadata) on every call: adding is one small object, where copying a
 * Map per `withValue` was not, and a lookup walks a few bindings.
 */
interface ValueBinding {
  readonly key: ContextKey<unknown>;
  readonly value: unknown;
  readonly parent: ValueBinding | undefined;
}

/**
 * What travels with every Request and Close: cancellation, deadline, logger, clock and typed values.
 * Immutable: every `with…` returns a new context, so an element never changes what its caller sees.
 */
export class Context {
  private constructor(
    private readonly cancellation: Cancellation,
    /** Milliseconds since the epoch on `clock`, or undefined when there is no deadline. */
    readonly deadline: number | undefined,
    readonly logger: Logger,
    readonly clock: Clock,
    private readonly values: ValueBinding | undefined,
  ) {}

  /** A root context: never cancelled, no deadline. */
  static background(options: { logger?: Logger; clock?: Clock } = {}): Context {
    return new Context(
      new Cancellation(false),
      undefined,
      options.logger ?? silentLogger,
      options.clock ?? systemClock,
      undefined,
    );
  }

  /** Aborts when this context is cancelled (made on first use; `cancelled` does not need it). */
  get signal(): AbortSignal {
    return this.cancellation.signal;
  }

  value<T>(key: ContextKey<T>): T | undefined {
    for (let binding = this.values; binding !== undefined; binding = binding.parent) {
      if (binding.key === key) return binding.value as T;
    }
    return undefined;
  }

  withValue<T>(key: ContextKey<T>, value: T): Context {
    const values: ValueBinding = { key, value, parent: this.values };
    return new Context(this.cancellation, this.deadline, this.logger, this.clock, values);
  }

  withLogger(logger: Logger): Context {
    return new Context(this.cancellation, this.deadline, logger, this.clock, this.values);
  }

  /** A child logger with extra bindings (component, connection id, netns…). */
  withLogFields(fields: Record<string, unknown>): Context {
    return this.withLogger(this.logger.child(fields));
  }

  withClock(clock: Clock): Context {
    return new Context(this.cancellation, this.deadline, this.logger, clock, this.values);
  }

  /** A child that is cancelled with this context, or earlier by the returned function. */
  withCancel(): [Context, CancelFunction] {
    const parent = this.cancellation;
    const cancellation = new Cancellation();
    const onParentAbort = (reason: unknown): void => cancellation.abort(reason);
    if (parent.aborted) cancellation.abort(parent.reason);
    else parent.onAbort(onParentAbort);
    const cancel: CancelFunction = (reason) => {
      parent.offAbort(onParentAbort);
      if (!cancellation.aborted) cancellation.abort(reason ?? new CancelledError());
    };
    const child = new Context(cancellation, this.deadline, this.logger, this.clock, this.values);
    return [child, cancel];
  }

  /** A child whose deadline is the earlier of the parent's and `deadline`; the cancel also clears the timer. */
  withDeadline(deadline: number): [Context, CancelFunction] {
    const effective = this.deadline === undefined ? deadline : Math.min(this.deadline, deadline);
    const [child, cancelChild] = this.withCancel();
    const bounded = new Context(child.cancellation, effective, this.logger, this.clock, this.values);
    let timer: TimerHandle | undefined = this.clock.setTimeout(() => {
      timer = undefined;
      cancelChild(new DeadlineExceededError());
    }, effective - this.clock.now());
    const cancel: CancelFunction = (reason) => {
      if (timer !== undefined) this.clock.clearTimeout(timer);
      timer = undefined;
      cancelChild(reason);
    };
    return [bounded, cancel];
  }

  withTimeout(timeoutMs: number): [Context, CancelFunction] {
    return this.withDeadline(this.clock.now() + timeoutMs);
  }

  /**
   * A context for cleanup after this one failed or was cancelled: same values, logger and clock, not
   * cancelled with this one, and with as much time as this one had left (or `fallbackMs` when it had no
   * deadline or none left). The NSM SDK calls this "postpone".
   */
  postpone(fallbackMs = 15_000): [Context, CancelFunction] {
    const remaining = this.remainingMs();
    const budget = remaining === undefined || remaining <= 0 ? fallbackMs : remaining;
    const detached = new Context(new Cancellation(false), undefined, this.logger, this.clock, this.values);
    return detached.withTimeout(budget);
  }

  /**
   * The same values, logger and clock, without this context's signal and deadline: for work that outlives
   * the call that started it (events replayed by `begin`, background loops).
   */
  detach(): Context {
    return new Context(new Cancellation(false), undefined, this.logger, this.clock, this.values);
  }

  /** Milliseconds until the deadline, or undefined when there is none. */
  remainingMs(): number | undefined {
    return this.deadline === undefined ? undefined : this.deadline - this.clock.now();
  }

  get cancelled(): boolean {
    return this.cancellation.aborted;
  }

  /** Throws the cancellation reason (CancelledError or DeadlineExceededError) if this context is done. */
  throwIfCancelled(): void {
    if (this.cancellation.aborted) {
      const reason: unknown = this.cancellation.reason;
      throw reason instanceof Error ? reason : new CancelledError(String(reason));
    }
  }
}
