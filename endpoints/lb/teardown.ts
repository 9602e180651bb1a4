import type { Logger } from 'pino';

import { messageOf } from '../../sdk/core/index.js';

/** Undo steps, run in reverse order of registration, each even when an earlier one failed. */
export class Teardown {
  private readonly steps: { what: string; run: () => unknown }[] = [];

  constructor(private readonly logger: Logger) {}

  add(what: string, run: () => unknown): void {
    this.steps.push({ what, run });
  }

  /** Runs every step; returns how many failed (each is logged). */
  async run(): Promise<number> {
    let failed = 0;
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        failed++;
        this.logger.error({ step: step.what, error: messageOf(error) }, 'stopping: a step failed');
      }
    }
    this.steps.length = 0;
    return failed;
  }
}
