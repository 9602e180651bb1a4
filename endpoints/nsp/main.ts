/** `meridio nsp`: reads the settings, serves until SIGTERM or SIGINT, then stops gracefully. */
import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { loadSettings, waitForTermination } from '../../sdk/settings/index.js';
import { startNspService } from './service.js';
import { NSP_SETTINGS, NSP_SUMMARY } from './settings.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(NSP_SETTINGS, argv, env, {
    usage: 'meridio nsp [settings]',
    summary: NSP_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  const logger = createLogger('nsp', settings.logLevel);
  let service;
  try {
    service = await startNspService({
      listen: settings.listen,
      databasePath: settings.db,
      keepaliveMs: settings.keepalive,
      logger,
    });
  } catch (error) {
    logger.fatal({ error }, 'cannot start');
    console.error(`meridio nsp: ${messageOf(error)}`);
    return 1;
  }
  logger.info({ listen: settings.listen, db: settings.db, keepaliveMs: settings.keepalive }, 'NSP serving');
  const signal = await waitForTermination();
  logger.info({ signal }, 'stopping');
  await service.stop();
  return 0;
}
