/**
 * The embedded NSM (`meridio nsm`): registry, manager and kernel forwarder serving the upstream NSM
 * gRPC API on a unix socket. See docs/decisions/008-embedded-nsm.md.
 */
export { startNsm, type NsmOptions, type RunningNsm } from './nsm.js';
export { NSM_SETTINGS, NSM_SUMMARY } from './settings.js';
