/** `meridio nsp`: reads the settings, serves until SIGTERM or SIGINT, then stops gracefully. */
import { runProcess } from '../../sdk/process/index.js';
import { NSP_SETTINGS, NSP_SUMMARY } from './settings.js';

export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runProcess(
    {
      component: 'nsp',
      settings: NSP_SETTINGS,
      help: { usage: 'meridio nsp [settings]', summary: NSP_SUMMARY },
      async start({ settings, logger, onStop }) {
        const { startNspService } = await import('./service.js');
        const service = await startNspService({
          listen: settings.listen,
          databasePath: settings.db,
          keepaliveMs: settings.keepalive,
          logger,
        });
        onStop('NSP service', () => service.stop());
        logger.info(
          { listen: settings.listen, db: settings.db, keepaliveMs: settings.keepalive },
          'NSP serving',
        );
      },
    },
    argv,
    env,
  );
}
