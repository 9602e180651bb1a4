/**
 * The operator's calls to the API server, in one place: the two lists its informers start from
 * and its four kinds of write. Every write names the operator as field manager, and every update
 * is conditional on the resourceVersion it was computed from.
 */
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  type V1ConfigMap,
  setHeaderOptions,
} from '@kubernetes/client-node';

import type { ListResult } from './informer.js';
import type { ConfigMapPatch } from './reconcile.js';
import { TRENCH_GROUP, TRENCH_PLURAL, TRENCH_VERSION, type Trench, type TrenchStatus } from './trench.js';

export interface ClusterApi {
  readonly namespace: string;
  listTrenches(): Promise<ListResult<Trench>>;
  listConfigMaps(): Promise<ListResult<V1ConfigMap>>;
  createConfigMap(body: V1ConfigMap): Promise<void>;
  patchConfigMap(name: string, patch: ConfigMapPatch): Promise<void>;
  /** Deletes only the object with this uid, and only if unchanged since `resourceVersion`. */
  deleteConfigMap(name: string, uid: string, resourceVersion: string): Promise<void>;
  patchTrenchStatus(name: string, status: TrenchStatus): Promise<void>;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function clusterApi(kubeConfig: KubeConfig, namespace: string, fieldManager: string): ClusterApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const trenches = { group: TRENCH_GROUP, version: TRENCH_VERSION, plural: TRENCH_PLURAL, namespace };
  return {
    namespace,
    async listTrenches() {
      const list = (await custom.listNamespacedCustomObject(trenches)) as {
        metadata?: { resourceVersion?: string };
        items?: Trench[];
      };
      return { resourceVersion: list.metadata?.resourceVersion ?? '', items: list.items ?? [] };
    },
    async listConfigMaps() {
      const list = await core.listNamespacedConfigMap({ namespace });
      return { resourceVersion: list.metadata?.resourceVersion ?? '', items: list.items };
    },
    async createConfigMap(body) {
      await core.createNamespacedConfigMap({ namespace, body, fieldManager });
    },
    async patchConfigMap(name, patch) {
      await core.patchNamespacedConfigMap({ name, namespace, body: patch, fieldManager }, MERGE_PATCH);
    },
    async deleteConfigMap(name, uid, resourceVersion) {
      await core.deleteNamespacedConfigMap({
        name,
        namespace,
        body: { preconditions: { uid, resourceVersion } },
      });
    },
    async patchTrenchStatus(name, status) {
      await custom.patchNamespacedCustomObjectStatus(
        { ...trenches, name, body: { status }, fieldManager },
        MERGE_PATCH,
      );
    },
  };
}
