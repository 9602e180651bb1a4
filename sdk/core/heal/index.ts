export { healClient } from './client.js';
export type { HealOptions, HealSelector, LivenessCheck, MonitorConnectionSource } from './options.js';
