export { TargetRegistry, type TargetRegistryOptions, type RegisterOutcome } from './registry.js';
export type { TargetSubscription } from './subscription.js';
export { SqliteTargetStore, type TargetStore, type StoredTarget } from './store.js';
export { nspGrpcService } from './grpc-service.js';
export { startNspService, type NspServiceOptions, type RunningNspService } from './service.js';
export { NSP_SETTINGS, NSP_SUMMARY } from './settings.js';
