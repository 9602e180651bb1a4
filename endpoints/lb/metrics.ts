/**
 * The LB's Prometheus series, read at scrape time from the reconciler and the queue thread's counters
 * (no work per packet): targets by state, refused targets, VIPs, and the queue's packet counters, in
 * total and per target identifier.
 */
import { Counter, Gauge, type Registry } from '../../sdk/metrics/index.js';
import type { NfQueueStats } from '../../sdk/nfqueue/index.js';
import type { RefusedTarget, TargetStatus } from './reconciler.js';

/** What the series are read from (a RunningLb's `targets` and `dataplane` provide it). */
export interface LbMetricsSource {
  targets(): TargetStatus[];
  refusals(): RefusedTarget[];
  appliedVips(): readonly string[];
  stats(): NfQueueStats | undefined;
}

const QUEUE_COUNTERS = [
  ['packets', 'meridio_lb_queue_packets_total', 'VIP packets the queue thread received'],
  ['accepted', 'meridio_lb_queue_accepted_total', 'VIP packets accepted with a target mark'],
  [
    'dropped',
    'meridio_lb_queue_dropped_total',
    'VIP packets dropped because their table entry had no target',
  ],
  [
    'queueOverruns',
    'meridio_lb_queue_overruns_total',
    'times the queue socket overflowed and the kernel dropped packets',
  ],
] as const;

export function registerLbMetrics(registry: Registry, source: LbMetricsSource): void {
  const registers = [registry];
  new Gauge({
    name: 'meridio_lb_targets',
    help: 'NSP targets the LB admitted, by state (active: in the Maglev table; pending: not routable yet)',
    labelNames: ['state'],
    registers,
    collect() {
      const targets = source.targets();
      for (const state of ['active', 'pending'] as const) {
        this.set({ state }, targets.filter((target) => target.state === state).length);
      }
    },
  });
  new Gauge({
    name: 'meridio_lb_refused_targets',
    help: 'NSP targets the LB refuses (bad or duplicate identifier)',
    registers,
    collect() {
      this.set(source.refusals().length);
    },
  });
  new Gauge({
    name: 'meridio_lb_vips',
    help: 'VIPs the LB balances',
    registers,
    collect() {
      this.set(source.appliedVips().length);
    },
  });
  for (const [field, name, help] of QUEUE_COUNTERS) {
    new Counter({
      name,
      help,
      registers,
      collect() {
        const stats = source.stats();
        this.reset();
        if (stats !== undefined) this.inc(stats[field]);
      },
    });
  }
  new Counter({
    name: 'meridio_lb_target_packets_total',
    help: 'VIP packets the queue thread marked for each target identifier',
    labelNames: ['identifier'],
    registers,
    collect() {
      const stats = source.stats();
      this.reset();
      stats?.perIdentifier.forEach((count, identifier) => {
        if (identifier > 0 && count > 0) this.inc({ identifier: String(identifier) }, count);
      });
    },
  });
}
