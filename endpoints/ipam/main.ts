/** `meridio ipam`: reads the settings, serves until SIGTERM or SIGINT, then stops gracefully. */
import { runProcess } from '../../sdk/process/index.js';
import { IPAM_SETTINGS, IPAM_SUMMARY } from './settings.js';

export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runProcess(
    {
      component: 'ipam',
      settings: IPAM_SETTINGS,
      help: { usage: 'meridio ipam [settings]', summary: IPAM_SUMMARY },
      async start({ settings, logger, onStop }) {
        const { startIpamService } = await import('./service.js');
        const service = await startIpamService({
          listen: settings.listen,
          databasePath: settings.db,
          logger,
        });
        onStop('IPAM service', () => service.stop());
        logger.info({ listen: settings.listen, db: settings.db }, 'IPAM serving');
      },
    },
    argv,
    env,
  );
}
