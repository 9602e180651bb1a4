import type { ConfigSource } from './source.js';
import type { ConfigTracker } from './tracker.js';

/**
 * What every source shares: its answers come from its `ConfigTracker`, and closing stops the
 * reading (once, however often `close` is called) before it ends every iteration.
 */
export abstract class TrackedConfigSource implements ConfigSource {
  private closing: Promise<void> | undefined;

  protected constructor(protected readonly tracker: ConfigTracker) {}

  current(): ReturnType<ConfigSource['current']> {
    return this.tracker.current();
  }

  updates(signal?: AbortSignal): ReturnType<ConfigSource['updates']> {
    return this.tracker.updates(signal);
  }

  notices(signal?: AbortSignal): ReturnType<ConfigSource['notices']> {
    return this.tracker.notices(signal);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stopReading();
      this.tracker.close();
    })();
    return this.closing;
  }

  /** Whether `close` was called: what is read from now on is dropped. */
  protected get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Stops every watch and timer; resolves when no read is under way. */
  protected abstract stopReading(): Promise<void>;
}
