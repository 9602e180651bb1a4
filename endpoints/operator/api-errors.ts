/** Reading client-node's errors: shared with every reader of the Kubernetes API in sdk/kube. */
export { describeApiError, httpStatusOf } from '../../sdk/kube/index.js';
