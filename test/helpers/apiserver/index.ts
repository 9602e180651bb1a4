export {
  type ApiRequest,
  type ApiVerb,
  type TestApiServer,
  type TestApiServerOptions,
  startTestApiServer,
} from './server.js';
export { CONFIG_MAP, LEASE, type ResourceKind, apiVersionOf } from './kinds.js';
export type { ObjectStore, StoredEvent } from './store.js';
export type { EventType, Json, KubeObject, ObjectMeta, Status } from './types.js';
