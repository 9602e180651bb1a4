import type { NetworkServiceServer } from '../element.js';
import { updateTokenClose, updateTokenRequest } from './common.js';
import { opaqueTokenGenerator, type TokenGenerator } from './token.js';

/**
 * Sets this hop's path segment `token` and `expires` from `generate` (what the client's timeout and
 * refresh read) on Request and Close; nothing to undo.
 */
export function updatetokenServer(generate: TokenGenerator = opaqueTokenGenerator()): NetworkServiceServer {
  return {
    kind: 'server',
    name: 'updatetoken',
    request: (ctx, request, next) => updateTokenRequest(generate, ctx, request, next),
    close: (ctx, connection, next) => updateTokenClose(generate, ctx, connection, next),
  };
}
