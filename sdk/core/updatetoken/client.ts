import type { NetworkServiceClient } from '../element.js';
import { updateTokenClose, updateTokenRequest } from './common.js';
import { opaqueTokenGenerator, type TokenGenerator } from './token.js';

/**
 * Sets this hop's path segment `token` and `expires` from `generate` (what the endpoint's timeout reads
 * as its previous segment) on Request and Close; nothing to undo.
 */
export function updatetokenClient(generate: TokenGenerator = opaqueTokenGenerator()): NetworkServiceClient {
  return {
    kind: 'client',
    name: 'updatetoken',
    request: (ctx, request, next) => updateTokenRequest(generate, ctx, request, next),
    close: (ctx, connection, next) => updateTokenClose(generate, ctx, connection, next),
  };
}
