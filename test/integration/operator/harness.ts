/** Shared pieces of the operator's integration tests: the kinds served, trench bodies, store probes. */
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';

import {
  TRENCH_GROUP,
  TRENCH_KIND,
  TRENCH_PLURAL,
  TRENCH_VERSION,
  type Trench,
} from '../../../endpoints/operator/index.js';
import {
  CONFIG_MAP,
  type KubeObject,
  LEASE,
  type ResourceKind,
  type TestApiServer,
  startTestApiServer,
} from '../../helpers/apiserver/index.js';

export const NAMESPACE = 'red';

/** The Trench CRD as the API server serves it: namespaced, with a status subresource. */
export const TRENCH: ResourceKind = Object.freeze({
  group: TRENCH_GROUP,
  version: TRENCH_VERSION,
  kind: TRENCH_KIND,
  plural: TRENCH_PLURAL,
  namespaced: true,
  statusSubresource: true,
});

export const EVENT: ResourceKind = Object.freeze({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
});

export function startOperatorApiServer(): Promise<TestApiServer> {
  return startTestApiServer({ kinds: [CONFIG_MAP, LEASE, TRENCH, EVENT] });
}

export const quietLogger: Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Writes trenches through client-node, as kubectl would. */
export class TrenchClient {
  private readonly api: CustomObjectsApi;
  private readonly where = {
    group: TRENCH_GROUP,
    version: TRENCH_VERSION,
    plural: TRENCH_PLURAL,
    namespace: NAMESPACE,
  };

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async create(name: string, spec: Trench['spec']): Promise<Trench> {
    return (await this.api.createNamespacedCustomObject({
      ...this.where,
      body: { apiVersion: `${TRENCH_GROUP}/${TRENCH_VERSION}`, kind: TRENCH_KIND, metadata: { name }, spec },
    })) as Trench;
  }

  async patchLabels(name: string, labels: Record<string, string>): Promise<Trench> {
    return (await this.api.patchNamespacedCustomObject(
      { ...this.where, name, body: { metadata: { labels } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Trench;
  }

  async patchSpec(name: string, spec: Partial<NonNullable<Trench['spec']>>): Promise<Trench> {
    return (await this.api.patchNamespacedCustomObject(
      { ...this.where, name, body: { spec } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Trench;
  }
}

/** The object, or undefined when the store has none by that name. */
export function stored(
  server: TestApiServer,
  kind: ResourceKind,
  name: string,
  namespace = NAMESPACE,
): KubeObject | undefined {
  return server.store.list(kind, namespace, (object) => object.metadata.name === name)[0];
}

/**
 * Resolves with the first non-undefined value of `probe`, evaluated now and after every change in
 * the store (the test's timeout bounds the wait).
 */
export function waitForStore<T>(server: TestApiServer, probe: () => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const first = probe();
    if (first !== undefined) {
      resolve(first);
      return;
    }
    const unsubscribe = server.store.subscribe(() => {
      const value = probe();
      if (value === undefined) return;
      unsubscribe();
      resolve(value);
    });
  });
}

export interface ReadyCondition {
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export function readyOf(object: KubeObject | undefined): ReadyCondition | undefined {
  const status = object?.status as { conditions?: (ReadyCondition & { type: string })[] } | undefined;
  return status?.conditions?.find((condition) => condition.type === 'Ready');
}

export function confOf(object: KubeObject | undefined): string | undefined {
  return (object?.data as Record<string, string> | undefined)?.['meridio.conf'];
}

/** Waits until `condition` holds, checking every 10 ms (the test's own timeout bounds it). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
