/** Pieces shared by the NSP and IPAM services and their clients: IP arithmetic, backoff, gRPC status edge. */
export * from './ip.js';
export * from './backoff.js';
export * from './sqlite.js';
export * from './calls.js';
