/** The Trench's status: its Ready condition and the generation it describes. */
import {
  type ConditionStatus,
  READY_CONDITION,
  type Trench,
  type TrenchCondition,
  type TrenchStatus,
} from './trench.js';

/** What a reconcile concluded, as the Ready condition will say it. */
export interface Outcome {
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/**
 * The status the trench should have after `outcome`, or undefined when it already has it (so an
 * unchanged trench causes no write, and no watch event that would start another reconcile).
 * `lastTransitionTime` moves only when the condition's status changes, as `metav1.Condition` asks.
 */
export function statusAfter(trench: Trench, outcome: Outcome, now: Date): TrenchStatus | undefined {
  const generation = trench.metadata.generation;
  const current = trench.status ?? {};
  const conditions = current.conditions ?? [];
  const previous = conditions.find((condition) => condition.type === READY_CONDITION);
  const ready: TrenchCondition = {
    type: READY_CONDITION,
    status: outcome.status,
    reason: outcome.reason,
    message: outcome.message,
    lastTransitionTime:
      previous && previous.status === outcome.status ? previous.lastTransitionTime : rfc3339(now),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  const unchanged =
    previous !== undefined &&
    previous.status === ready.status &&
    previous.reason === ready.reason &&
    previous.message === ready.message &&
    previous.observedGeneration === ready.observedGeneration &&
    current.observedGeneration === generation;
  if (unchanged) return undefined;
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [...conditions.filter((condition) => condition.type !== READY_CONDITION), ready],
  };
}

/** Kubernetes `metav1.Time`: RFC 3339 in UTC, whole seconds. */
export function rfc3339(time: Date): string {
  return time.toISOString().replace(/\.\d+Z$/, 'Z');
}
