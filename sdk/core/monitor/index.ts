export { monitorServer } from './server.js';
export type { MonitorServer, MonitorServerOptions } from './server.js';
export type { ConnectionEventType, ConnectionMonitor } from './connection-monitor.js';
export { matchesSelector } from './selector.js';
export type { MonitorSelector } from './selector.js';
