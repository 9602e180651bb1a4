/**
 * Whether a context has been cancelled and why, shared by a context and the contexts made from it with
 * `withValue`, `withLogger` and `withClock`. Its `AbortSignal` is made the first time someone asks for
 * it: most contexts end without anyone listening (a served call that was answered), and an
 * AbortController per context plus its abort event cost more than everything else a served call's
 * context does. Child contexts follow their parent through a plain listener set, not the signal.
 */
export class Cancellation {
  private controller: AbortController | undefined;
  private done = false;
  private why: unknown;
  private listeners: Set<(reason: unknown) => void> | undefined;

  /** @param abortable false for a root: nothing can abort it, so it keeps no listeners. */
  constructor(private readonly abortable = true) {}

  get aborted(): boolean {
    return this.done;
  }

  /** What `abort` was given; undefined until then. */
  get reason(): unknown {
    return this.why;
  }

  /** A signal that is aborted (with `reason`) when this is, already aborted when this already is. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  /** Calls `listener` once, with the reason, when this is aborted; the caller checks `aborted` first. */
  onAbort(listener: (reason: unknown) => void): void {
    if (!this.abortable || this.done) return;
    this.listeners ??= new Set();
    this.listeners.add(listener);
  }

  offAbort(listener: (reason: unknown) => void): void {
    this.listeners?.delete(listener);
  }

  /** Aborts once: the signal's listeners run first, then the children's; later calls change nothing. */
  abort(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.why = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    this.controller?.abort(reason);
    if (listeners !== undefined) for (const listener of listeners) listener(reason);
  }
}
