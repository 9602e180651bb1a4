/** The NSP's target model and wire conventions, and its clients: plain client, registrar and watcher. */
export * from './target.js';
export * from './protocol.js';
export { createNspClient, type NspClient, type NspClientOptions, type MonitorStream } from './client.js';
export { createTargetRegistrar, type TargetRegistrar, type TargetRegistrarOptions } from './registrar.js';
export { watchTargets, type TargetWatcher, type TargetChange } from './watcher.js';
