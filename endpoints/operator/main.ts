/** `meridio operator`: reads the settings, runs until SIGTERM or SIGINT, then stops gracefully. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { runProcess } from '../../sdk/process/index.js';
import { OPERATOR_SETTINGS, OPERATOR_SUMMARY } from './settings.js';

export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runProcess(
    {
      component: 'operator',
      settings: OPERATOR_SETTINGS,
      help: { usage: 'meridio operator [settings]', summary: OPERATOR_SUMMARY },
      async start({ settings, logger, onStop }) {
        // Credentials and the controller (client-node and all) load only once the settings are read.
        const [{ loadKubeConfig, namespaceOf }, { startOperator }] = await Promise.all([
          import('../../sdk/config/index.js'),
          import('./operator.js'),
        ]);
        const kubeConfig = await loadKubeConfig(
          settings.kubeconfig ? { kubeconfigPath: settings.kubeconfig } : {},
        );
        const namespace = settings.namespace || namespaceOf(kubeConfig);
        const identity = settings.identity || `${hostname()}_${randomBytes(4).toString('hex')}`;
        const operator = await startOperator({
          kubeConfig,
          namespace,
          identity,
          logger,
          leaderElection: settings.leaderElect && {
            leaseName: settings.leaseName,
            leaseDurationMs: settings.leaseDuration,
            renewDeadlineMs: settings.renewDeadline,
            retryPeriodMs: settings.retryPeriod,
          },
          webhook: settings.webhook
            ? {
                ...settings.webhookListen,
                certFile: join(settings.webhookCertDir, 'tls.crt'),
                keyFile: join(settings.webhookCertDir, 'tls.key'),
              }
            : undefined,
          health: settings.healthListen,
          controller: { resyncMs: settings.resync },
        });
        onStop('operator', () => operator.stop());
        logger.info({ namespace, identity, leaderElection: settings.leaderElect }, 'operator started');
      },
    },
    argv,
    env,
  );
}
