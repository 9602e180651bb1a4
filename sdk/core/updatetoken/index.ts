export { updatetokenServer } from './server.js';
export { updatetokenClient } from './client.js';
export { DEFAULT_MAX_TOKEN_LIFETIME_MS, opaqueTokenGenerator } from './token.js';
export type { IssuedToken, TokenGenerator } from './token.js';
