export { refreshClient } from './client.js';
export { REFRESH_RETRY_MS, refreshDelayMs } from './schedule.js';
