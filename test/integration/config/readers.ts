import pino, { type Logger } from 'pino';

import type { ConfigNotice, ConfigSource, ConfigUpdate } from '../../../sdk/config/index.js';

/** Compact form of an update for assertions: the VIPs in force and the difference. */
export interface UpdateSummary {
  vips: string[];
  added: string[];
  removed: string[];
}

export function summarize(update: ConfigUpdate): UpdateSummary {
  return {
    vips: update.config.vips.map((vip) => vip.cidr),
    added: update.diff.added.map((vip) => vip.cidr),
    removed: update.diff.removed.map((vip) => vip.cidr),
  };
}

/** Reads a source's updates and notices one at a time, as a subscriber (LB, proxy, target) would. */
export class SourceReader {
  private readonly updates: AsyncIterator<ConfigUpdate>;
  private readonly notices: AsyncIterator<ConfigNotice>;
  readonly seenNotices: ConfigNotice[] = [];

  constructor(readonly source: ConfigSource) {
    this.updates = source.updates()[Symbol.asyncIterator]();
    this.notices = source.notices()[Symbol.asyncIterator]();
  }

  async nextUpdate(): Promise<UpdateSummary> {
    const result = await this.updates.next();
    if (result.done) throw new Error('the source ended its updates');
    return summarize(result.value);
  }

  /** The next notice of `kind`; notices of other kinds (e.g. `unavailable` while a server restarts) are kept in `seenNotices`. */
  async nextNotice<K extends ConfigNotice['kind']>(kind: K): Promise<Extract<ConfigNotice, { kind: K }>> {
    for (;;) {
      const result = await this.notices.next();
      if (result.done) throw new Error(`the source ended its notices before a "${kind}" notice`);
      this.seenNotices.push(result.value);
      if (result.value.kind === kind) return result.value as Extract<ConfigNotice, { kind: K }>;
    }
  }

  async updatesEnded(): Promise<boolean> {
    return (await this.updates.next()).done === true;
  }

  async noticesEnded(): Promise<boolean> {
    for (;;) {
      const result = await this.notices.next();
      if (result.done) return true;
    }
  }
}

/** Waits until `condition` holds, checking every 10 ms (the test's own timeout bounds it). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(): {
  logger: Logger;
  lines: { level: number; msg: string; [key: string]: unknown }[];
} {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  return { logger, lines };
}
