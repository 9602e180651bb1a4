/**
 * The whole operator process minus its settings: the validating webhook and the health endpoints
 * run in every replica; the Trench controller runs only in the replica that holds the lease (or
 * always, with leader election off).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import type { BackoffOptions } from '../../sdk/config/index.js';
import { type Clock, systemClock } from '../../sdk/core/index.js';
import { clusterApi } from './cluster-api.js';
import { type TrenchController, startTrenchController } from './controller.js';
import { eventRecorder } from './events.js';
import { type HealthServer, startHealthServer } from './health-server.js';
import { LeaderElector } from './leader-election.js';
import { type WebhookServer, startWebhookServer } from './webhook-server.js';

export const DEFAULT_FIELD_MANAGER = 'meridio-operator';

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** The namespace whose trenches are reconciled (the operator's own, as upstream's WATCH_NAMESPACE). */
  readonly namespace: string;
  /** Unique per replica: lease holder, event source instance. */
  readonly identity: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** The field manager named by every write. Default `meridio-operator`. */
  readonly fieldManager?: string;
  /** Off: this replica reconciles unconditionally (only safe with one replica). */
  readonly leaderElection:
    | false
    | {
        readonly leaseName: string;
        readonly leaseDurationMs?: number;
        readonly renewDeadlineMs?: number;
        readonly retryPeriodMs?: number;
      };
  /** Absent: no webhook (e.g. when it is served elsewhere). */
  readonly webhook?: {
    readonly host: string;
    readonly port: number;
    readonly certFile: string;
    readonly keyFile: string;
  };
  /** Absent: no health endpoints. */
  readonly health?: { readonly host: string; readonly port: number };
  /** Told when this replica starts (true) or stops (false) leading, after the controller started or stopped. */
  readonly onLeadershipChange?: (leading: boolean) => void;
  readonly controller?: {
    readonly reconnectBackoff?: BackoffOptions;
    readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
    readonly resyncMs?: number;
    readonly watchTimeoutSeconds?: number;
  };
}

export interface Operator {
  readonly identity: string;
  readonly webhook: WebhookServer | undefined;
  readonly health: HealthServer | undefined;
  isLeader(): boolean;
  /** The running controller, while this replica leads. */
  controller(): TrenchController | undefined;
  /** Graceful shutdown: stop reconciling (the reconcile in flight finishes), release the lease, close the servers. */
  stop(): Promise<void>;
}

export async function startOperator(options: OperatorOptions): Promise<Operator> {
  const logger = options.logger;
  const clock = options.clock ?? systemClock;
  const api = clusterApi(
    options.kubeConfig,
    options.namespace,
    options.fieldManager ?? DEFAULT_FIELD_MANAGER,
  );
  const events = eventRecorder(options.kubeConfig, 'meridio-operator', options.identity, clock, logger);
  let controller: TrenchController | undefined;
  const startController = (): TrenchController =>
    startTrenchController({
      kubeConfig: options.kubeConfig,
      api,
      events,
      logger,
      clock,
      ...options.controller,
    });

  const webhook = options.webhook ? await startWebhookServer({ ...options.webhook, logger }) : undefined;
  let elector: LeaderElector | undefined;
  let health: HealthServer | undefined;
  try {
    if (options.leaderElection) {
      elector = new LeaderElector({
        ...options.leaderElection,
        kubeConfig: options.kubeConfig,
        namespace: options.namespace,
        identity: options.identity,
        clock,
        logger,
      });
    }
    health = options.health
      ? await startHealthServer({
          ...options.health,
          // A follower is ready (it serves the webhook); a leader once its caches are filled.
          notReadyBecause: () =>
            controller && !controller.hasSynced() ? 'the trench controller is filling its caches' : undefined,
        })
      : undefined;
  } catch (error) {
    await webhook?.close();
    throw error;
  }

  if (elector) {
    elector.start({
      onStartedLeading: () => {
        controller = startController();
        options.onLeadershipChange?.(true);
      },
      onStoppedLeading: async () => {
        const stopping = controller;
        controller = undefined;
        await stopping?.stop();
        options.onLeadershipChange?.(false);
      },
    });
  } else {
    controller = startController();
  }

  let stopped: Promise<void> | undefined;
  return {
    identity: options.identity,
    webhook,
    health,
    isLeader: () => (elector ? elector.isLeader() : true),
    controller: () => controller,
    stop() {
      stopped ??= (async () => {
        if (elector) await elector.stop();
        else await controller?.stop();
        controller = undefined;
        await Promise.all([webhook?.close(), health?.close()]);
        logger.info('operator stopped');
      })();
      return stopped;
    },
  };
}
