/**
 * Kubernetes Events on a Trench (`kubectl describe trench` shows them): what the operator did to
 * its ConfigMap and why it could not. Best effort: a failed event is logged, never retried.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import type { Clock } from '../../sdk/core/index.js';
import { describeApiError } from './api-errors.js';
import { rfc3339 } from './status.js';
import { TRENCH_API_VERSION, TRENCH_KIND, type Trench } from './trench.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(trench: Trench, type: EventType, reason: string, message: string): void;
  /** Resolves when every event recorded so far has been sent (or failed). */
  flush(): Promise<void>;
}

export function eventRecorder(
  kubeConfig: KubeConfig,
  component: string,
  identity: string,
  clock: Clock,
  logger: Logger,
): EventRecorder {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const pending = new Set<Promise<void>>();
  return {
    record(trench, type, reason, message) {
      const namespace = trench.metadata.namespace!;
      const now = rfc3339(new Date(clock.now()));
      const sent = core
        .createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${trench.metadata.name}.`, namespace },
            involvedObject: {
              apiVersion: TRENCH_API_VERSION,
              kind: TRENCH_KIND,
              name: trench.metadata.name,
              namespace,
              uid: trench.metadata.uid,
              resourceVersion: trench.metadata.resourceVersion,
            },
            type,
            reason,
            message,
            count: 1,
            // client-node types these as Date; the API server takes the RFC 3339 text.
            firstTimestamp: now as unknown as Date,
            lastTimestamp: now as unknown as Date,
            source: { component },
            reportingComponent: component,
            reportingInstance: identity,
          },
        })
        .then(
          () => undefined,
          (error: unknown) =>
            logger.debug({ reason }, `recording an event failed: ${describeApiError(error)}`),
        )
        .finally(() => pending.delete(sent));
      pending.add(sent);
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}
