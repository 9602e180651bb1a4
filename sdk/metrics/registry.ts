/**
 * One Prometheus registry per process, labelled with the component, holding Node's default process
 * metrics (CPU, memory, event-loop lag, handles) beside the component's own.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Added as the `component` label of every series (`lb`, `proxy`, `ctraffic`…). */
  readonly component: string;
  /** Further labels on every series (e.g. `{ name: 'proxy-node-1' }`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Collect Node's process metrics (default true). */
  readonly processMetrics?: boolean;
}

export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ ...options.labels, component: options.component });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
