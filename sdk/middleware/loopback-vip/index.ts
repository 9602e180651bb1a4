/** The target's VIPs on its loopback device while its connection to the proxy lives. */
export { LoopbackVips, type LoopbackNamespace, type LoopbackVipsOptions } from './loopback-vips.js';
export { loopbackVipClient, type LoopbackVipOptions } from './client.js';
