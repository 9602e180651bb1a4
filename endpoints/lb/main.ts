/** `meridio lb`: reads the settings, runs the load balancer until SIGTERM or SIGINT, then removes what it made. */
import type { ConfigSource } from '../../sdk/config/index.js';
import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { type ProcessMetrics, startProcessMetrics } from '../../sdk/metrics/index.js';
import { vipConfigSource } from '../../sdk/middleware/vip-route/index.js';
import {
  EXIT_BAD_SETTINGS,
  loadSettings,
  SettingsError,
  waitForTermination,
} from '../../sdk/settings/index.js';
import { deriveLbSettings, type LbDerived } from './config.js';
import { type RunningLb, startLb } from './lb.js';
import { registerLbMetrics } from './metrics.js';
import { LB_SETTINGS, LB_SUMMARY } from './settings.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(LB_SETTINGS, argv, env, {
    usage: 'meridio lb [settings]',
    summary: LB_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  let derived: LbDerived;
  try {
    derived = deriveLbSettings(settings);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT_BAD_SETTINGS;
  }
  const logger = createLogger('lb', settings.logLevel).child({ lb: derived.name });
  let vipSource: ConfigSource | undefined;
  let metrics: ProcessMetrics | undefined;
  let lb: RunningLb;
  try {
    metrics = await startProcessMetrics({
      listen: settings.metrics,
      component: 'lb',
      labels: { lb: derived.name },
      logger,
    });
    vipSource = vipConfigSource({
      configFile: settings.configFile,
      configMapName: settings.configMapName,
      namespace: settings.namespace,
      logger,
      env,
    });
    lb = await startLb({
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
  } catch (error) {
    await vipSource?.close();
    await metrics?.close();
    logger.fatal({ error: messageOf(error) }, 'cannot start');
    process.stderr.write(`meridio lb: ${messageOf(error)}\n`);
    return 1;
  }
  const running = lb;
  registerLbMetrics(metrics.registry, {
    targets: () => running.targets.targets(),
    refusals: () => running.targets.refusals(),
    appliedVips: () => running.dataplane.appliedVips(),
    stats: () => running.dataplane.stats(),
  });
  const signal = await waitForTermination();
  logger.info({ signal }, 'stopping: removing every rule, route and chain of the LB');
  const failed = await lb.stop();
  await vipSource?.close();
  await metrics.close();
  logger.info({ failedSteps: failed }, 'stopped');
  return failed === 0 ? 0 : 1;
}
