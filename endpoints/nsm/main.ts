/** `meridio nsm --socket PATH`: serves the embedded NSM until SIGTERM or SIGINT. */
import { isAbsolute } from 'node:path';

import { runProcess } from '../../sdk/process/index.js';
import { SettingsError } from '../../sdk/settings/index.js';
import { NSM_SETTINGS, NSM_SUMMARY } from './settings.js';

export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runProcess(
    {
      component: 'nsm',
      settings: NSM_SETTINGS,
      help: { usage: 'meridio nsm --socket <path> [settings]', summary: NSM_SUMMARY },
      stoppingMessage: 'stopping; the veth pairs stay for the next start',
      async start({ settings, logger, onStop }) {
        if (!isAbsolute(settings.socket)) {
          throw new SettingsError(
            `meridio nsm: --socket must be an absolute path, not "${settings.socket}".`,
          );
        }
        const { startNsm } = await import('./nsm.js');
        const nsm = await startNsm({
          socket: settings.socket,
          name: settings.managerName,
          registryExpiryMs: settings.registryExpiry,
          logger,
        });
        onStop('NSM', () => nsm.stop());
        logger.info({ address: nsm.address, registryExpiryMs: settings.registryExpiry }, 'NSM serving');
      },
    },
    argv,
    env,
  );
}
