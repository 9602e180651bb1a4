import type { NetworkServiceServer } from '../../core/index.js';
import { bridgeConnectHandlers } from './handlers.js';
import type { BridgeConnectOptions } from './options.js';

/**
 * Attaches the endpoint's end of each connection (the interface its KERNEL mechanism names) to the
 * bridge as soon as the forwarder has made it — after the endpoint answered — and again whenever it is
 * made anew. Close releases it from the bridge if it is still there.
 */
export function bridgeConnectServer(options: BridgeConnectOptions): NetworkServiceServer {
  const { request, close } = bridgeConnectHandlers(options, (id) => options.interfaces.present(id));
  return { kind: 'server', name: 'bridgeConnect', request, close };
}
