export { describeApiError, httpStatusOf } from './api-errors.js';
export {
  type KubeObject,
  type ListWatchChange,
  type ListWatchOptions,
  type ListedObjects,
  type RetryDelays,
  type StartWatch,
  type WatchQuery,
  type WatchStatus,
  ListWatch,
  untilAborted,
} from './list-watch.js';
