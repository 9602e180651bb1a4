/** Registers the targets that connect to the proxy at the NSP, for as long as their connection lives. */
export { nspRegisterServer, type NspRegisterOptions } from './server.js';
