/** The embedded NSM's kernel forwarder: veth pairs between namespaces, configured from the connection context. */
export { newForwarder, type ForwarderOptions } from './forwarder.js';
export { kernelForwarder, type KernelForwarderOptions } from './kernel-forwarder.js';
export { NamespaceHandles, type NamespaceLease } from './namespace-handles.js';
export { clientPlan, endpointPlan, type EndPlan, type PlannedPolicy, type PlannedRoute } from './ip-plan.js';
export { POLICY_TABLE_FIRST, POLICY_TABLE_LAST } from './policy-tables.js';
export { connectionMac, lastingConnectionId, type VethSide } from './link-mac.js';
