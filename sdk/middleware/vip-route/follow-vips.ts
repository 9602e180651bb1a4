import type { Logger } from 'pino';

import { type Clock, messageOf, sleep, systemClock } from '../../core/index.js';
import type { ConfigSource } from '../../config/index.js';

export interface FollowVipsOptions {
  readonly source: ConfigSource;
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

/**
 * Applies every VIP configuration the source accepts, until `signal` aborts: the whole list in force
 * each time (so applying is idempotent and repairs a half-done earlier attempt), retried with backoff
 * while it fails. A change that arrives meanwhile is applied next, in one step.
 */
export async function followVips(options: FollowVipsOptions): Promise<void> {
  const { source, apply, signal, logger } = options;
  const clock = options.clock ?? systemClock;
  const firstDelay = options.retryMs ?? 200;
  const maxDelay = options.maxRetryMs ?? 5000;
  for await (const { config, diff } of source.updates(signal)) {
    const vips = config.vips.map((vip) => vip.cidr);
    logger.info(
      { vips, added: diff.added.map((vip) => vip.cidr), removed: diff.removed.map((vip) => vip.cidr) },
      'applying the VIP configuration',
    );
    for (
      let delay = firstDelay, attempt = 1;
      !signal.aborted;
      delay = Math.min(delay * 2, maxDelay), attempt++
    ) {
      try {
        await apply(vips);
        if (attempt > 1) logger.info({ vips, attempt }, 'the VIP configuration is applied');
        break;
      } catch (error) {
        logger.warn(
          { vips, attempt, retryMs: delay, error: messageOf(error) },
          'applying the VIP configuration failed; retrying',
        );
        await sleep(clock, delay, signal).catch(() => undefined);
      }
    }
  }
}
