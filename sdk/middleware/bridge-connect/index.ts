/** Attaches the proxy's end of each NSM connection to its bridge (`bridge0`). */
export { bridgeConnectServer } from './server.js';
export { bridgeConnectClient } from './client.js';
export { kernelBridgePorts, type BridgePorts } from './ports.js';
export type { BridgeConnectOptions } from './options.js';
