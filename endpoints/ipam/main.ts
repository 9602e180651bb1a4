/** `meridio ipam`: reads the settings, serves until SIGTERM or SIGINT, then stops gracefully. */
import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { loadSettings, waitForTermination } from '../../sdk/settings/index.js';
import { startIpamService } from './service.js';
import { IPAM_SETTINGS, IPAM_SUMMARY } from './settings.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(IPAM_SETTINGS, argv, env, {
    usage: 'meridio ipam [settings]',
    summary: IPAM_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  const logger = createLogger('ipam', settings.logLevel);
  let service;
  try {
    service = await startIpamService({ listen: settings.listen, databasePath: settings.db, logger });
  } catch (error) {
    logger.fatal({ error }, 'cannot start');
    console.error(`meridio ipam: ${messageOf(error)}`);
    return 1;
  }
  logger.info({ listen: settings.listen, db: settings.db }, 'IPAM serving');
  const signal = await waitForTermination();
  logger.info({ signal }, 'stopping');
  await service.stop();
  return 0;
}
