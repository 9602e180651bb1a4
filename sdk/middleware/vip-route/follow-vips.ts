import type { Logger } from 'pino';

import type { ConfigSource } from '../../config/index.js';
import { type Clock, messageOf, sleep, systemClock } from '../../core/index.js';

export interface FollowVipsOptions {
  /** Where VIP changes come from; without one, `initial` is applied once and kept. */
  readonly source: ConfigSource | undefined;
  /** The VIPs (`NSM_VIPS`) in force until the source has a configuration. */
  readonly initial: readonly string[];
  /** Makes the VIPs (CIDRs) the ones in force; must be idempotent. */
  readonly apply: (vips: readonly string[]) => Promise<void>;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Pause after a failed apply, doubling up to `maxRetryMs`; default 200 ms. */
  readonly retryMs?: number;
  /** Default 5 s. */
  readonly maxRetryMs?: number;
}

/** Applies `vips` until it works or `signal` aborts, pausing with backoff between attempts. */
async function applyUntilDone(vips: readonly string[], options: FollowVipsOptions): Promise<void> {
  const { apply, signal, logger } = options;
  const clock = options.clock ?? systemClock;
  const maxDelay = options.maxRetryMs ?? 5000;
  for (let delay = options.retryMs ?? 200, attempt = 1; !signal.aborted; attempt++) {
    try {
      await apply(vips);
      if (attempt > 1) logger.info({ vips, attempt }, 'the VIP configuration is applied');
      return;
    } catch (error) {
      logger.warn(
        { vips, attempt, retryMs: delay, error: messageOf(error) },
        'applying the VIP configuration failed; retrying',
      );
      await sleep(clock, delay, signal).catch(() => undefined);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}

/**
 * Applies the VIP configuration until `signal` aborts: `initial` while the source has none, then every
 * configuration the source accepts — the whole list in force each time, so applying is idempotent and
 * repairs a half-done earlier attempt — retried with backoff while it fails. A change that arrives
 * meanwhile is applied next, in one step.
 */
export async function followVips(options: FollowVipsOptions): Promise<void> {
  const { source, signal, logger } = options;
  if (source === undefined || (source.current() === undefined && options.initial.length > 0)) {
    logger.info({ vips: options.initial }, 'applying the VIPs of the settings');
    await applyUntilDone(options.initial, options);
  }
  if (source === undefined) return;
  for await (const { config, diff } of source.updates(signal)) {
    const vips = config.vips.map((vip) => vip.cidr);
    logger.info(
      { vips, added: diff.added.map((vip) => vip.cidr), removed: diff.removed.map((vip) => vip.cidr) },
      'applying the VIP configuration',
    );
    await applyUntilDone(vips, options);
  }
}
