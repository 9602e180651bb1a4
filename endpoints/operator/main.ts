/** `meridio operator`: reads the settings, runs until SIGTERM or SIGINT, then stops gracefully. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { loadKubeConfig, namespaceOf } from '../../sdk/config/index.js';
import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { loadSettings, waitForTermination } from '../../sdk/settings/index.js';
import type { Operator } from './operator.js';
import { OPERATOR_SETTINGS, OPERATOR_SUMMARY } from './settings.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(OPERATOR_SETTINGS, argv, env, {
    usage: 'meridio operator [settings]',
    summary: OPERATOR_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  const logger = createLogger('operator', settings.logLevel);
  let operator: Operator;
  try {
    const kubeConfig = await loadKubeConfig(
      settings.kubeconfig ? { kubeconfigPath: settings.kubeconfig } : {},
    );
    // The operator (client-node and all) is loaded only once the settings are read: not for --help.
    const { startOperator } = await import('./operator.js');
    const namespace = settings.namespace || namespaceOf(kubeConfig);
    const identity = settings.identity || `${hostname()}_${randomBytes(4).toString('hex')}`;
    operator = await startOperator({
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
    logger.info({ namespace, identity, leaderElection: settings.leaderElect }, 'operator started');
  } catch (error) {
    logger.fatal({ error }, 'cannot start');
    console.error(`meridio operator: ${messageOf(error)}`);
    return 1;
  }
  const signal = await waitForTermination();
  logger.info({ signal }, 'stopping');
  await operator.stop();
  return 0;
}
