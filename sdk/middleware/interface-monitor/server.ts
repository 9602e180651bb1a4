import type { NetworkServiceServer } from '../../core/index.js';
import { type InterfaceMonitorOptions, monitorHandlers } from './element.js';
import type { InterfaceMonitor } from './types.js';

/** The server element and the monitor its subscribers read. */
export interface InterfaceMonitorServer extends NetworkServiceServer {
  readonly interfaces: InterfaceMonitor;
}

/**
 * Watches the endpoint's interface of every connection it holds (the name and namespace of the
 * connection's KERNEL mechanism, after next returned) and tells `interfaces` subscribers when it
 * appears (the forwarder makes it after the endpoint answered) or goes. Close stops watching.
 */
export function interfaceMonitorServer(options: InterfaceMonitorOptions = {}): InterfaceMonitorServer {
  const { watcher, request, close } = monitorHandlers(options);
  return { kind: 'server', name: 'interfaceMonitor', interfaces: watcher, request, close };
}
