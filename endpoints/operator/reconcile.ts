/**
 * The reconcile of one trench as a pure function: from the trench and the ConfigMaps that concern
 * it, the writes that make the ConfigMap hold exactly the trench's VIPs, and the status to report.
 * No I/O and no clock of its own, so every case is a plain unit test.
 */
import type { V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';

import { InvalidConfigError, formatMeridioConf, validateVips } from '../../sdk/config/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { type Outcome, statusAfter } from './status.js';
import {
  TRENCH_KIND,
  type Trench,
  type TrenchStatus,
  configMapNameOf,
  controllerOf,
  ownerReferenceTo,
} from './trench.js';

/** Labels on every ConfigMap the operator writes (for `kubectl get cm -l …`; nothing selects on them). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'meridio-operator';
export const TRENCH_LABEL = 'meridio.nordix.org/trench';

export const REASONS = Object.freeze({
  synced: 'ConfigMapSynced',
  invalidVips: 'InvalidVips',
  conflict: 'ConfigMapConflict',
  writeFailed: 'ConfigMapWriteFailed',
});

export interface TrenchState {
  readonly trench: Trench;
  /**
   * The ConfigMaps of the trench's namespace named like its `configMapName` or controlled by it;
   * others are ignored.
   */
  readonly configMaps: readonly V1ConfigMap[];
  readonly now: Date;
}

/** A JSON merge patch (RFC 7386) of a ConfigMap: `null` removes a key. */
export interface ConfigMapPatch {
  readonly metadata: {
    /** Makes the patch conditional: the API server answers 409 if the ConfigMap changed since. */
    readonly resourceVersion: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly V1OwnerReference[];
  };
  readonly data?: Readonly<Record<string, string | null>>;
  readonly binaryData?: null;
}

export type ConfigMapWrite =
  | { readonly op: 'create'; readonly name: string; readonly body: V1ConfigMap }
  | { readonly op: 'patch'; readonly name: string; readonly patch: ConfigMapPatch; readonly why: string }
  | {
      readonly op: 'delete';
      readonly name: string;
      readonly uid: string;
      readonly resourceVersion: string;
      readonly why: string;
    };

export interface TrenchPlan {
  /** In order; the status is written after them. */
  readonly writes: readonly ConfigMapWrite[];
  readonly outcome: Outcome;
  /** The status to write, or undefined when the trench already reports `outcome`. */
  readonly status: TrenchStatus | undefined;
}

/**
 * Decides what to do for one trench:
 * - VIPs invalid (the webhook was bypassed): nothing is written, the ConfigMap keeps the last good
 *   VIPs, Ready=False `InvalidVips`.
 * - The ConfigMap is missing: create it, the trench as its controller owner.
 * - It exists and its controller is another object: leave it alone, Ready=False `ConfigMapConflict`.
 * - It exists without a controller (made by hand or by Helm): adopt it and set its data.
 * - It exists and is ours: make `data` exactly `{meridio.conf: …}` (hand edits are reverted, extra
 *   keys and binaryData removed), restore our labels.
 * - ConfigMaps still controlled by the trench under an earlier `configMapName` are deleted, once
 *   the current one is in place.
 */
export function planTrench(state: TrenchState): TrenchPlan {
  const { trench, now } = state;
  const name = configMapNameOf(trench);
  const uid = trench.metadata.uid;
  const finish = (writes: ConfigMapWrite[], outcome: Outcome): TrenchPlan => ({
    writes,
    outcome,
    status: statusAfter(trench, outcome, now),
  });

  let text: string;
  let vipCount: number;
  try {
    const vips = validateVips(trench.spec?.vips ?? [], 'spec.vips');
    text = formatMeridioConf({ vips });
    vipCount = vips.length;
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    return finish([], {
      status: 'False',
      reason: REASONS.invalidVips,
      message: `The VIPs are invalid, so ConfigMap ${name} keeps its previous content: ${error.message}.`,
    });
  }

  const current = state.configMaps.find((configMap) => configMap.metadata?.name === name);
  const controller = controllerOf(current?.metadata);
  if (current && controller && controller.uid !== uid) {
    return finish([], {
      status: 'False',
      reason: REASONS.conflict,
      message: `ConfigMap ${name} is controlled by ${controller.kind} ${controller.name} (uid ${controller.uid}), not by this trench; it is left alone. Choose another spec.configMapName, or delete that ConfigMap.`,
    });
  }

  const writes: ConfigMapWrite[] = [];
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY, [TRENCH_LABEL]: trench.metadata.name! };
  if (!current) {
    writes.push({
      op: 'create',
      name,
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          namespace: trench.metadata.namespace,
          labels,
          ownerReferences: [ownerReferenceTo(trench)],
        },
        data: { [DEFAULTS.configMapKey]: text },
      },
    });
  } else {
    const patch = patchFor(current, trench, text, labels);
    if (patch) writes.push(patch);
  }
  for (const stale of state.configMaps) {
    const meta = stale.metadata;
    if (meta?.name === undefined || meta.name === name || controllerOf(meta)?.uid !== uid) continue;
    writes.push({
      op: 'delete',
      name: meta.name,
      uid: meta.uid!,
      resourceVersion: meta.resourceVersion!,
      why: `the trench's ConfigMap is now ${name}`,
    });
  }
  return finish(writes, {
    status: 'True',
    reason: REASONS.synced,
    message: `ConfigMap ${name} holds the trench's ${vipCount === 1 ? '1 VIP' : `${vipCount} VIPs`}.`,
  });
}

/** The status after a write that failed (the controller retries with backoff). */
export function writeFailedOutcome(trench: Trench, detail: string): Outcome {
  return {
    status: 'False',
    reason: REASONS.writeFailed,
    message: `Writing ConfigMap ${configMapNameOf(trench)} failed, retrying: ${detail}`,
  };
}

function patchFor(
  current: V1ConfigMap,
  trench: Trench,
  text: string,
  labels: Readonly<Record<string, string>>,
): ConfigMapWrite | undefined {
  const meta = current.metadata!;
  const reasons: string[] = [];
  const data = current.data ?? {};
  const dataPatch: Record<string, string | null> = {};
  if (data[DEFAULTS.configMapKey] !== text) {
    dataPatch[DEFAULTS.configMapKey] = text;
    reasons.push(data[DEFAULTS.configMapKey] === undefined ? `${DEFAULTS.configMapKey} was missing` : 'VIPs');
  }
  const extraKeys = Object.keys(data).filter((key) => key !== DEFAULTS.configMapKey);
  for (const key of extraKeys) dataPatch[key] = null;
  if (extraKeys.length > 0) reasons.push(`extra keys ${extraKeys.join(', ')}`);
  const hasBinaryData = Object.keys(current.binaryData ?? {}).length > 0;
  if (hasBinaryData) reasons.push('binaryData');

  let ownerReferences: V1OwnerReference[] | undefined;
  if (!controllerOf(meta)) {
    // Adopt: keep any non-controller owners, add the trench as controller.
    ownerReferences = [
      ...(meta.ownerReferences ?? []).filter((reference) => reference.uid !== trench.metadata.uid),
      ownerReferenceTo(trench),
    ];
    reasons.push(`adopted by ${TRENCH_KIND} ${trench.metadata.name}`);
  }
  const missingLabels = Object.entries(labels).filter(([key, value]) => meta.labels?.[key] !== value);
  if (missingLabels.length > 0) reasons.push('labels');

  if (reasons.length === 0) return undefined;
  return {
    op: 'patch',
    name: meta.name!,
    why: reasons.join('; '),
    patch: {
      metadata: {
        resourceVersion: meta.resourceVersion!,
        ...(missingLabels.length > 0 ? { labels: Object.fromEntries(missingLabels) } : {}),
        ...(ownerReferences ? { ownerReferences } : {}),
      },
      ...(Object.keys(dataPatch).length > 0 ? { data: dataPatch } : {}),
      ...(hasBinaryData ? { binaryData: null } : {}),
    },
  };
}
