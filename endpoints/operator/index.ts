/** The Meridio operator: Trench controller, validating webhook, leader election (`meridio operator`). */
export {
  TRENCH_API_VERSION,
  TRENCH_GROUP,
  TRENCH_KIND,
  TRENCH_PLURAL,
  TRENCH_VERSION,
  READY_CONDITION,
  type Trench,
  type TrenchCondition,
  type TrenchSpec,
  type TrenchStatus,
  configMapNameOf,
} from './trench.js';
export {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  REASONS,
  TRENCH_LABEL,
  type ConfigMapPatch,
  type ConfigMapWrite,
  type TrenchPlan,
  type TrenchState,
  planTrench,
} from './reconcile.js';
export { type Outcome, statusAfter } from './status.js';
export { WorkQueue, type WorkQueueOptions } from './workqueue.js';
export { type Change, Informer, type InformerOptions, type ListResult } from './informer.js';
export { type ClusterApi, clusterApi } from './cluster-api.js';
export {
  type ControllerStats,
  type TrenchController,
  type TrenchControllerOptions,
  startTrenchController,
} from './controller.js';
export { LeaderElector, type LeaderElectionOptions, type Leadership } from './leader-election.js';
export {
  ADMISSION_API_VERSION,
  TRENCH_WEBHOOK_PATH,
  type AdmissionAnswer,
  type AdmissionResponse,
  answerAdmissionReview,
} from './admission.js';
export { type WebhookServer, type WebhookServerOptions, startWebhookServer } from './webhook-server.js';
export { type HealthServer, startHealthServer } from './health-server.js';
export { DEFAULT_FIELD_MANAGER, type Operator, type OperatorOptions, startOperator } from './operator.js';
export { OPERATOR_SETTINGS, OPERATOR_SUMMARY } from './settings.js';
