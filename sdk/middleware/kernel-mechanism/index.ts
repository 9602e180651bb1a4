/**
 * The NSM KERNEL mechanism: the client asks for an interface in its network namespace, the endpoint
 * accepts it for its own, and the forwarder (endpoints/nsm) checks and resolves both with the helpers
 * exported here.
 */
export { kernelMechanismClient, type KernelMechanismClientOptions } from './client.js';
export { kernelMechanismServer, type KernelMechanismServerOptions } from './server.js';
export {
  INTERFACE_NAME_PARAMETER,
  KERNEL_MECHANISM,
  LOCAL_CLS,
  NETNS_URL_PARAMETER,
  interfaceNameOf,
  isKernelMechanism,
  kernelMechanism,
  netnsUrlOf,
} from './mechanism.js';
export { InvalidKernelMechanismError, UnsupportedMechanismError } from './errors.js';
export { parseNetnsUrl, type NetnsUrl } from './netns-url.js';
export { validateInterfaceName } from './interface-name.js';
export { checkKernelMechanism, selectKernelMechanism, type CheckedKernelMechanism } from './select.js';
export { netnsInodeUrl } from './netns-of.js';
export { locateNetns, type LocatedNetns } from './locate.js';
