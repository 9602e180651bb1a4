/**
 * The target (`meridio target`): an NSC toward the proxy of its node, with the VIPs on lo and a source
 * route back through the proxy.
 */
export { startTarget, type RunningTarget, type TargetOptions, type TargetStatus } from './target.js';
export { identifierClient, type IdentifierOptions } from './identifier.js';
export { TARGET_SETTINGS, TARGET_SUMMARY } from './settings.js';
