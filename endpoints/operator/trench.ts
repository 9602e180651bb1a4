/**
 * The Trench custom resource as the seed has it (`meridio.nordix.org/v1alpha1`): the VIPs of one
 * trench and the name of the ConfigMap the operator keeps in line with them. The CRD itself is
 * `deployments/helm/meridio-operator/crds/meridio.nordix.org_trenches.yaml`.
 */
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

import { DEFAULTS } from '../../sdk/defaults.js';

export const TRENCH_GROUP = 'meridio.nordix.org';
export const TRENCH_VERSION = 'v1alpha1';
export const TRENCH_KIND = 'Trench';
export const TRENCH_PLURAL = 'trenches';
export const TRENCH_API_VERSION = `${TRENCH_GROUP}/${TRENCH_VERSION}`;

/** The condition that says whether the trench's ConfigMap holds the trench's VIPs. */
export const READY_CONDITION = 'Ready';

export interface TrenchSpec {
  /** VIP networks, e.g. `20.0.0.1/32`; the webhook rejects anything else. Absent means none. */
  vips?: string[];
  /** Default `meridio-configuration`, the name every component watches by default. */
  configMapName?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A `metav1.Condition`. */
export interface TrenchCondition {
  type: string;
  status: ConditionStatus;
  /** CamelCase, machine-readable. */
  reason: string;
  /** A sentence for people. */
  message: string;
  /** RFC 3339, seconds precision; changes only when `status` changes. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface TrenchStatus {
  observedGeneration?: number;
  conditions?: TrenchCondition[];
}

/** A Trench as the API server returns it (custom objects come back as plain JSON). */
export interface Trench {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec?: TrenchSpec;
  status?: TrenchStatus;
}

export function configMapNameOf(trench: Trench): string {
  return trench.spec?.configMapName || DEFAULTS.configMapName;
}

/** The controller owner reference that ties a ConfigMap to its trench (garbage collection follows it). */
export function ownerReferenceTo(trench: Trench): V1OwnerReference {
  return {
    apiVersion: TRENCH_API_VERSION,
    kind: TRENCH_KIND,
    name: trench.metadata.name!,
    uid: trench.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The owner reference marked `controller: true`, if any: Kubernetes allows at most one. */
export function controllerOf(meta: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  return meta?.ownerReferences?.find((reference) => reference.controller === true);
}

/** Whether `reference` names a Trench (any version of the group). */
export function isTrenchReference(reference: V1OwnerReference): boolean {
  return reference.kind === TRENCH_KIND && reference.apiVersion.split('/')[0] === TRENCH_GROUP;
}
