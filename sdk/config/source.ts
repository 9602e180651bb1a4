import type { InvalidConfigError } from './errors.js';
import type { ConfigDiff, MeridioConfig } from './model.js';

/** One accepted change, as one subscriber sees it. */
export interface ConfigUpdate {
  /** The whole validated configuration now in force. */
  readonly config: MeridioConfig;
  /** The difference to the configuration this subscriber received before (to nothing, the first time). */
  readonly diff: ConfigDiff;
}

/**
 * Something a person may need to know that does not change the configuration in force. Each is
 * also logged, once, when it happens.
 */
export type ConfigNotice =
  /** There is no configuration yet (no ConfigMap, no file). */
  | { readonly kind: 'absent'; readonly message: string }
  /** The ConfigMap or file was deleted; the last configuration stays in force. */
  | { readonly kind: 'deleted'; readonly message: string }
  /** New input was invalid and ignored; the last valid configuration stays in force. */
  | { readonly kind: 'rejected'; readonly message: string; readonly error: InvalidConfigError }
  /**
   * The source could not be read (API server down, watch failed); it retries after `retryInMs`, or
   * on the next change of the input when undefined.
   */
  | {
      readonly kind: 'unavailable';
      readonly message: string;
      readonly error: Error;
      readonly retryInMs: number | undefined;
    };

/**
 * Where the runtime configuration comes from (a ConfigMap, a local file). It starts watching when
 * created and keeps the last valid configuration until `close`.
 */
export interface ConfigSource {
  /** The configuration in force, or undefined while there has never been a valid one. */
  current(): MeridioConfig | undefined;
  /**
   * The configuration and its difference for this subscriber: first the configuration in force
   * (when there is one), then every change. A subscriber that falls behind gets the latest
   * configuration with the difference to what it last received, so nothing is lost and nothing is
   * queued without bound. Ends when `signal` aborts or the source closes.
   */
  updates(signal?: AbortSignal): AsyncIterable<ConfigUpdate>;
  /** Notices from now on (not replayed). Ends when `signal` aborts or the source closes. */
  notices(signal?: AbortSignal): AsyncIterable<ConfigNotice>;
  /** Stops watching and ends every iteration; resolves when no I/O remains. Idempotent. */
  close(): Promise<void>;
}
