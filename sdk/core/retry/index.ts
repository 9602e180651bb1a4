export { retryClient } from './client.js';
export type { RetryOptions } from './client.js';
