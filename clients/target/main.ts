/** `meridio target`: reads the settings, runs the target until SIGTERM or SIGINT, then stops it cleanly. */
import type { ConfigSource } from '../../sdk/config/index.js';
import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { vipConfigSource } from '../../sdk/middleware/vip-route/index.js';
import { loadSettings, waitForTermination } from '../../sdk/settings/index.js';
import { TARGET_SETTINGS, TARGET_SUMMARY } from './settings.js';
import { type RunningTarget, startTarget } from './target.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(TARGET_SETTINGS, argv, env, {
    usage: 'meridio target [settings]',
    summary: TARGET_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  const logger = createLogger('target', settings.logLevel).child({ target: settings.name });
  let vipSource: ConfigSource | undefined;
  let target: RunningTarget;
  try {
    vipSource = vipConfigSource({
      configFile: settings.configFile,
      configMapName: settings.configMapName,
      namespace: settings.namespace,
      logger,
      env,
    });
    target = startTarget({
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
  } catch (error) {
    await vipSource?.close();
    logger.fatal({ error: messageOf(error) }, 'cannot start');
    process.stderr.write(`meridio target: ${messageOf(error)}\n`);
    return 1;
  }
  // The SDK's timers do not hold the process: while the NSM is away nothing else would, and the
  // target must keep trying until it is told to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await waitForTermination();
  logger.info({ signal }, 'stopping');
  await target.stop();
  await vipSource?.close();
  clearInterval(keepAlive);
  return 0;
}
