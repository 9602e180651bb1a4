/**
 * sdk/kernel — the one layer that touches the kernel: named network namespaces, and inside any
 * namespace links, addresses, routes, rules, neighbours, sysctls and link events, over rtnetlink
 * (the `netlink` package) with setns through koffi. See docs/decisions/004-kernel-layer.md.
 */
export { Kernel, createKernel, type KernelOptions } from './kernel.js';
export { NetnsHandle } from './netns-handle.js';
export {
  createNamespace,
  deleteNamespace,
  listNamespaces,
  namespaceExists,
  namespaceInfo,
  type CreateNamespaceOptions,
  type NamespaceInfo,
} from './namespaces.js';
export { NETNS_RUN_DIR, namespacePath } from './namespace-names.js';
export {
  currentNamespaceId,
  findNamespaceById,
  inodeUrlOf,
  namespaceIdOf,
  parseInodeUrl,
  sameNamespace,
  type NamespaceId,
  type NamespaceLocation,
} from './namespace-identity.js';
export { THREAD_NETNS_PATH, runInNetns } from './thread-netns.js';
export type { NamespaceTarget } from './namespace-target.js';
export { MAX_INTERFACE_NAME_LENGTH, checkInterfaceName, type LinkRef } from './link-names.js';
export { Links, type BridgeOptions, type LinkInfo, type OperState, type VethOptions } from './links.js';
export { Addresses, type AddressInfo, type AddressOptions } from './addresses.js';
export {
  LOCAL_TABLE,
  MAIN_TABLE,
  Routes,
  type NexthopSpec,
  type RouteInfo,
  type RouteListOptions,
  type RouteLookupOptions,
  type RouteSpec,
  type RouteType,
} from './routes.js';
export type { NexthopInfo } from './multipath.js';
export { Rules, type RuleAction, type RuleInfo, type RuleSpec } from './rules.js';
export { Neighbours, type NeighbourInfo } from './neighbours.js';
export { Sysctl } from './sysctl.js';
export type { LinkEvent, LinkEventType, WatchLinksOptions } from './link-events.js';
export type { AddressEvent, WatchAddressesOptions } from './address-events.js';
export type { KeyedChangeType } from './keyed-events.js';
export {
  formatIp,
  formatPrefix,
  networkOf,
  parseIp,
  parsePrefix,
  type IpAddress,
  type IpFamily,
  type IpPrefix,
} from './ip.js';
export {
  KernelBusyError,
  KernelClosedError,
  KernelError,
  KernelExistsError,
  KernelInvalidArgumentError,
  KernelNotFoundError,
  KernelPermissionError,
  KernelUnreachableError,
  KernelUnsupportedError,
  type KernelErrorOptions,
} from './errors.js';
