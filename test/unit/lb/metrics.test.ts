import { registerLbMetrics, type LbMetricsSource } from '../../../endpoints/lb/index.js';
import { createMetricsRegistry } from '../../../sdk/metrics/index.js';
import type { NfQueueStats } from '../../../sdk/nfqueue/index.js';

function stats(packets: number, perIdentifier: number[]): NfQueueStats {
  return {
    packets,
    accepted: packets - (perIdentifier[0] ?? 0),
    dropped: perIdentifier[0] ?? 0,
    batches: 1,
    queueOverruns: 0,
    perIdentifier,
    unparsed: 0,
    repeated: 0,
    callbackOverflows: 0,
    receiveErrors: 0,
    sendErrors: 0,
    verdictErrors: 0,
  };
}

describe('LB metrics', () => {
  it('reads targets, refusals, VIPs and the queue counters at scrape time', async () => {
    let current = stats(10, [1, 6, 3]);
    const source: LbMetricsSource = {
      targets: () => [
        { identifier: 1, table: 5001, description: 't1', state: 'active', reason: undefined },
        { identifier: 2, table: 5002, description: 't2', state: 'active', reason: undefined },
        { identifier: 3, table: 5003, description: 't3', state: 'pending', reason: 'unreachable' },
      ],
      refusals: () => [{ key: 'k', description: 'd', reason: 'r' }],
      appliedVips: () => ['20.0.0.1/32', '2000::1/128'],
      stats: () => current,
    };
    const registry = createMetricsRegistry({ component: 'lb', processMetrics: false });
    registerLbMetrics(registry, source);
    let text = await registry.metrics();
    expect(text).toContain('meridio_lb_targets{state="active",component="lb"} 2');
    expect(text).toContain('meridio_lb_targets{state="pending",component="lb"} 1');
    expect(text).toContain('meridio_lb_refused_targets{component="lb"} 1');
    expect(text).toContain('meridio_lb_vips{component="lb"} 2');
    expect(text).toContain('meridio_lb_queue_packets_total{component="lb"} 10');
    expect(text).toContain('meridio_lb_queue_dropped_total{component="lb"} 1');
    expect(text).toContain('meridio_lb_target_packets_total{identifier="1",component="lb"} 6');
    expect(text).toContain('meridio_lb_target_packets_total{identifier="2",component="lb"} 3');

    current = stats(25, [1, 6, 18]);
    text = await registry.metrics();
    expect(text).toContain('meridio_lb_queue_packets_total{component="lb"} 25');
    expect(text).toContain('meridio_lb_target_packets_total{identifier="2",component="lb"} 18');
  });
});
