/** `meridio target`: reads the settings, runs the target until SIGTERM or SIGINT, then stops it cleanly. */
import { runProcess } from '../../sdk/process/index.js';
import { TARGET_SETTINGS, TARGET_SUMMARY } from './settings.js';

export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runProcess(
    {
      component: 'target',
      settings: TARGET_SETTINGS,
      help: { usage: 'meridio target [settings]', summary: TARGET_SUMMARY },
      async start({ settings, nameLogger, onStop }) {
        const logger = nameLogger({ target: settings.name });
        const [{ vipConfigSource }, { startTarget }] = await Promise.all([
          import('../../sdk/middleware/vip-route/index.js'),
          import('./target.js'),
        ]);
        // The settings name the file, or the ConfigMap and its namespace.
        const vipSource = vipConfigSource({ ...settings, logger, env });
        if (vipSource !== undefined) onStop('VIP configuration', () => vipSource.close());
        // The target keeps asking its NSM until it is told to stop; the runner holds the process meanwhile.
        const target = startTarget({
          name: settings.name,
          node: settings.host,
          nsm: settings.connectTo,
          ...(settings.netns === '' ? {} : { netns: settings.netns }),
          proxyService: settings.proxyNetworkServiceName,
          ...(vipSource === undefined ? {} : { vipSource }),
          vips: settings.vips,
          maxTargets: settings.maxTargets,
          requestTimeoutMs: settings.requestTimeout,
          tokenLifetimeMs: settings.maxTokenLifetime,
          vipTable: settings.vipTable,
          logger,
        });
        onStop('target', () => target.stop());
      },
    },
    argv,
    env,
  );
}
