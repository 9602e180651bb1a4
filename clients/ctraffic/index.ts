export { startCtrafficServer, type CtrafficServerOptions, type RunningCtrafficServer } from './server.js';
export { runCtrafficClient, type CtrafficClientOptions } from './client.js';
export { analyzeHosts, formatHostTable, type HostAnalysis } from './analyze.js';
export { decodeHostHeader, encodeHostHeader, HOST_HEADER_BYTES } from './protocol.js';
export type { ConnStats, Sample, Statistics } from './stats.js';
