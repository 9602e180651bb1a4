import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

import { createMetricsRegistry } from './registry.js';
import { type MetricsServer, serveMetrics } from './server.js';

export interface ProcessMetrics {
  /** Register the component's own metrics here (`new Counter({ registers: [registry], … })`). */
  readonly registry: Registry;
  /** The served address, or undefined when metrics are off. */
  readonly address: string | undefined;
  close(): Promise<void>;
}

export interface StartProcessMetricsOptions {
  /** The `--metrics` value; '' keeps the registry but serves nothing. */
  readonly listen: string;
  readonly component: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
}

/** What a process's `main.ts` calls: a labelled registry with process metrics, served where asked. */
export async function startProcessMetrics(options: StartProcessMetricsOptions): Promise<ProcessMetrics> {
  const registry = createMetricsRegistry({
    component: options.component,
    ...(options.labels === undefined ? {} : { labels: options.labels }),
  });
  const server: MetricsServer | undefined = await serveMetrics({
    listen: options.listen,
    registry,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return {
    registry,
    address: server?.address,
    close: async () => {
      await server?.close();
      registry.clear();
    },
  };
}
