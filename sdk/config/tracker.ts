import type { Logger } from 'pino';

import { messageOf, toError } from '../core/errors.js';
import { ConfigBroadcast, Fanout } from './broadcast.js';
import { InvalidConfigError } from './errors.js';
import { type MeridioConfig, EMPTY_CONFIG, diffConfigs } from './model.js';
import { parseMeridioConf } from './parse.js';
import type { ConfigNotice, ConfigSource, ConfigUpdate } from './source.js';

/**
 * What every source does with what it reads: validate, keep the last valid configuration, publish
 * changes, and log each event once. Sources only say what they saw (`accept`, `missing`, `failed`).
 */
export class ConfigTracker implements Omit<ConfigSource, 'close'> {
  private readonly broadcast = new ConfigBroadcast();
  private readonly fanout = new Fanout<ConfigNotice>();
  /**
   * The last input, valid or not: the same text (or the same reason for having none) again, from a
   * repeated fs event or a relist, is no news.
   */
  private lastInput: string | symbol | undefined;
  private presence: 'unknown' | 'present' | 'missing' = 'unknown';

  constructor(
    private logger: Logger,
    /** Names the input in log lines, e.g. `ConfigMap default/meridio-configuration`. */
    private what: string,
  ) {}

  /**
   * Names the input anew once the source knows it fully (a ConfigMap's namespace from credentials
   * that were still loading when the source was made), for every line logged from now on.
   */
  identify(logger: Logger, what: string): void {
    this.logger = logger;
    this.what = what;
  }

  current(): MeridioConfig | undefined {
    return this.broadcast.current();
  }

  updates(signal?: AbortSignal): AsyncIterable<ConfigUpdate> {
    return this.broadcast.subscribe(signal);
  }

  notices(signal?: AbortSignal): AsyncIterable<ConfigNotice> {
    return this.fanout.subscribe(signal);
  }

  /** The input exists with this text (`fields` are logged with it, e.g. the resourceVersion). */
  accept(text: string, fields: Record<string, unknown> = {}): void {
    this.presence = 'present';
    if (text === this.lastInput) return;
    this.lastInput = text;
    let config: MeridioConfig;
    try {
      config = parseMeridioConf(text);
    } catch (error) {
      if (!(error instanceof InvalidConfigError)) throw error;
      this.reject(error, fields);
      return;
    }
    const previous = this.broadcast.current();
    if (!this.broadcast.publish(config)) return;
    const diff = diffConfigs(previous ?? EMPTY_CONFIG, config);
    this.logger.info(
      {
        ...fields,
        vips: config.vips.map((vip) => vip.cidr),
        added: diff.added.map((vip) => vip.cidr),
        removed: diff.removed.map((vip) => vip.cidr),
      },
      `configuration from ${this.what} accepted`,
    );
  }

  /**
   * The input exists but cannot hold a configuration (e.g. a ConfigMap without the data key);
   * `reason` identifies the problem so that seeing it again is not logged again.
   */
  rejectInput(reason: symbol, error: InvalidConfigError, fields: Record<string, unknown> = {}): void {
    this.presence = 'present';
    if (reason === this.lastInput) return;
    this.lastInput = reason;
    this.reject(error, fields);
  }

  private reject(error: InvalidConfigError, fields: Record<string, unknown>): void {
    const kept =
      this.current() === undefined ? 'there is still no configuration' : 'the last valid one stays';
    const message = `configuration from ${this.what} rejected (${kept}): ${error.message}`;
    this.logger.warn({ ...fields, reason: error.message }, message);
    this.fanout.publish({ kind: 'rejected', message, error });
  }

  /** The input does not exist (never did, or was deleted): the configuration in force stays. */
  missing(fields: Record<string, unknown> = {}): void {
    const before = this.presence;
    this.presence = 'missing';
    this.lastInput = undefined;
    if (before === 'missing') return;
    if (before === 'present') {
      const kept =
        this.current() === undefined
          ? 'there is still no configuration'
          : 'the last configuration stays in force';
      const message = `${this.what} was deleted; ${kept}`;
      this.logger.warn(fields, message);
      this.fanout.publish({ kind: 'deleted', message });
    } else {
      const message = `${this.what} does not exist yet; no configuration until it is created`;
      this.logger.info(fields, message);
      this.fanout.publish({ kind: 'absent', message });
    }
  }

  /** Reading failed; the source retries after `retryInMs`, or on the next change when undefined. */
  failed(cause: unknown, retryInMs: number | undefined, fields: Record<string, unknown> = {}): void {
    const error = toError(cause);
    const retry =
      retryInMs === undefined ? 'reading again on the next change' : `retrying in ${retryInMs} ms`;
    const message = `cannot read ${this.what}: ${messageOf(error)}; ${retry}`;
    this.logger.warn({ ...fields, err: error, retryInMs }, message);
    this.fanout.publish({ kind: 'unavailable', message, error, retryInMs });
  }

  close(): void {
    this.broadcast.close();
    this.fanout.close();
  }
}
