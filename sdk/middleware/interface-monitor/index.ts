/** Tells subscribers when a connection's kernel interface appears or goes (sdk/kernel link events). */
export { interfaceMonitorServer, type InterfaceMonitorServer } from './server.js';
export { interfaceMonitorClient, type InterfaceMonitorClient } from './client.js';
export type { InterfaceMonitorOptions } from './element.js';
export type { InterfaceEvent, InterfaceEventType, InterfaceListener, InterfaceMonitor } from './types.js';
