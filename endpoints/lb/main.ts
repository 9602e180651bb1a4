/** `meridio lb`: reads the settings, runs the load balancer until SIGTERM or SIGINT, then removes what it made. */
import { runProcess } from '../../sdk/process/index.js';
import { deriveLbSettings } from './config.js';
import { LB_SETTINGS, LB_SUMMARY } from './settings.js';

export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runProcess(
    {
      component: 'lb',
      settings: LB_SETTINGS,
      help: { usage: 'meridio lb [settings]', summary: LB_SUMMARY },
      stoppingMessage: 'stopping: removing every rule, route and chain of the LB',
      async start({ settings, nameLogger, onStop }) {
        const derived = deriveLbSettings(settings);
        const logger = nameLogger({ lb: derived.name });
        const [{ startProcessMetrics }, { vipConfigSource }, { startLb }, { registerLbMetrics }] =
          await Promise.all([
            import('../../sdk/metrics/index.js'),
            import('../../sdk/middleware/vip-route/index.js'),
            import('./lb.js'),
            import('./metrics.js'),
          ]);
        const metrics = await startProcessMetrics({
          listen: settings.metrics,
          component: 'lb',
          labels: { lb: derived.name },
          logger,
        });
        onStop('metrics', () => metrics.close());
        // The settings name the file, or the ConfigMap and its namespace.
        const vipSource = vipConfigSource({ ...settings, logger, env });
        if (vipSource !== undefined) onStop('VIP configuration', () => vipSource.close());
        const lb = await startLb({
          name: derived.name,
          serviceName: settings.serviceName,
          labels: derived.labels,
          nsm: settings.connectTo,
          listen: derived.listen,
          ...(settings.netns === '' ? {} : { netns: settings.netns }),
          nsp: settings.nspService,
          vips: settings.vips,
          ...(vipSource === undefined ? {} : { vipSource }),
          maglev: derived.maglev,
          range: derived.range,
          queue: settings.queue,
          queueBypass: settings.queueBypass,
          pinning: settings.pinning,
          logger,
        });
        onStop('LB', async () => {
          const failed = await lb.stop();
          if (failed > 0) throw new Error(`${failed} teardown steps failed (logged above)`);
        });
        registerLbMetrics(metrics.registry, {
          targets: () => lb.targets.targets(),
          refusals: () => lb.targets.refusals(),
          appliedVips: () => lb.dataplane.appliedVips(),
          stats: () => lb.dataplane.stats(),
        });
      },
    },
    argv,
    env,
  );
}
