import type { NetworkServiceClient } from '../../core/index.js';
import { type InterfaceMonitorOptions, monitorHandlers } from './element.js';
import type { InterfaceMonitor } from './types.js';

/** The client element and the monitor its subscribers read. */
export interface InterfaceMonitorClient extends NetworkServiceClient {
  readonly interfaces: InterfaceMonitor;
}

/**
 * Watches the client's interface of every connection it holds (from the KERNEL mechanism of the
 * returned connection) and tells `interfaces` subscribers when it appears or goes, e.g. when the
 * forwarder removed it. Close stops watching.
 */
export function interfaceMonitorClient(options: InterfaceMonitorOptions = {}): InterfaceMonitorClient {
  const { watcher, request, close } = monitorHandlers(options);
  return { kind: 'client', name: 'interfaceMonitor', interfaces: watcher, request, close };
}
