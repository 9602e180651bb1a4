import type { NetworkServiceClient } from '../../core/index.js';
import { bridgeConnectHandlers } from './handlers.js';
import type { BridgeConnectOptions } from './options.js';

/**
 * Attaches the client's end of each connection (the interface its KERNEL mechanism names) to the bridge
 * when the Request returns — the forwarder made it before answering — and again whenever the interface
 * monitor sees it made anew (a heal). If attaching a new connection fails, the connection is closed.
 * Close releases it from the bridge.
 */
export function bridgeConnectClient(options: BridgeConnectOptions): NetworkServiceClient {
  const { request, close } = bridgeConnectHandlers(options, () => true);
  return { kind: 'client', name: 'bridgeConnect', request, close };
}
