/** `meridio nsm --socket PATH`: serves the embedded NSM until SIGTERM or SIGINT. */
import { isAbsolute } from 'node:path';

import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { EXIT_BAD_SETTINGS, loadSettings, waitForTermination } from '../../sdk/settings/index.js';
import { type RunningNsm, startNsm } from './nsm.js';
import { NSM_SETTINGS, NSM_SUMMARY } from './settings.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(NSM_SETTINGS, argv, env, {
    usage: 'meridio nsm --socket <path> [settings]',
    summary: NSM_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  if (!isAbsolute(settings.socket)) {
    process.stderr.write(`meridio nsm: --socket must be an absolute path, not "${settings.socket}".\n`);
    return EXIT_BAD_SETTINGS;
  }
  const logger = createLogger('nsm', settings.logLevel);
  let nsm: RunningNsm;
  try {
    nsm = await startNsm({
      socket: settings.socket,
      name: settings.managerName,
      registryExpiryMs: settings.registryExpiry,
      logger,
    });
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start');
    process.stderr.write(`meridio nsm: ${messageOf(error)}\n`);
    return 1;
  }
  logger.info({ address: nsm.address, registryExpiryMs: settings.registryExpiry }, 'NSM serving');
  const signal = await waitForTermination();
  logger.info({ signal }, 'stopping; the veth pairs stay for the next start');
  await nsm.stop();
  return 0;
}
