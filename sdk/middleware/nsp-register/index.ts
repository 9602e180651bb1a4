/**
 * Registers the targets that connect to the proxy at the NSP once they can take traffic, for as long as
 * their connection lives: the server half on the proxy, the client half on the target (it says when).
 */
export { nspRegisterServer, type NspRegisterOptions } from './server.js';
export { nspRegisterClient } from './client.js';
export { READY_KEY, type Readiness, readinessOf } from './readiness.js';
