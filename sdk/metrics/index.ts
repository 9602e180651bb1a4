/**
 * sdk/metrics — Prometheus metrics for every long-running process: a registry labelled with the
 * component (with Node's process metrics), served on `GET /metrics` over TCP or a unix socket chosen
 * by the `--metrics` setting. In a process's settings: `metrics: metricsSetting()`; in its main:
 * `const metrics = await startProcessMetrics({ listen: settings.metrics, component: 'proxy', logger })`,
 * register its own series on `metrics.registry`, and `await metrics.close()` on the way out.
 */
export { InvalidMetricsAddressError, type MetricsAddress, parseMetricsAddress } from './address.js';
export { createMetricsRegistry, type MetricsRegistryOptions } from './registry.js';
export { type MetricsServer, type ServeMetricsOptions, serveMetrics } from './server.js';
export { metricsSetting } from './setting.js';
export {
  type ProcessMetrics,
  type StartProcessMetricsOptions,
  startProcessMetrics,
} from './process-metrics.js';
export { Counter, Gauge, Histogram, type Registry } from 'prom-client';
