export { SubnetAllocator, MAX_OWNER_LENGTH, type AllocateRequest } from './allocator.js';
export { findFreeSubnet, type AddressRange } from './free-subnet.js';
export { SqliteAllocationStore, type Allocation } from './store.js';
export { ipamGrpcService } from './grpc-service.js';
export { startIpamService, type IpamServiceOptions, type RunningIpamService } from './service.js';
export { IPAM_SETTINGS, IPAM_SUMMARY } from './settings.js';
export { AllocatedSpace } from './allocated-space.js';
export { AllocationBatcher } from './batcher.js';
