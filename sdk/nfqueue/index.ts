export {
  openNfQueue,
  openJsCallbackQueue,
  type NfQueue,
  type NfQueueOptions,
  type NfQueueStats,
  type JsCallbackQueueOptions,
} from './queue.js';
export {
  createFlowTable,
  type FlowTable,
  type FlowTableOptions,
  type FlowLookup,
  type PublishOptions,
} from './flow-table.js';
export { deleteConntrackByMarks, type ConntrackDeleteOptions } from './conntrack.js';
export { hashPacket, type FlowFields } from './packet.js';
export { flowPacket, type FlowTuple } from './flow-packet.js';
export {
  NfQueueError,
  NfQueueBusyError,
  NfQueuePermissionError,
  NfQueueUnavailableError,
  NetnsNotFoundError,
  NativeAddonMissingError,
  FlowTableBusyError,
} from './errors.js';
export { ADDON_PATH_VARIABLE } from './native.js';
