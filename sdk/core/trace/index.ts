export { errorOrigin } from './origin.js';
export type { FieldChange } from './diff.js';
export {
  isTracing,
  traceChainClose,
  traceChainRequest,
  traceElementClose,
  traceElementRequest,
} from './trace.js';
