import type { NetworkServiceClient } from '../element.js';
import { updatePathClose, updatePathRequest } from './common.js';

/**
 * Adds or reuses this hop's path segment (`name`) and sets `connection.id` to this hop's id for the
 * elements after it; restores the caller's id and path index on the way back. Close does the same.
 */
export function updatepathClient(name: string): NetworkServiceClient {
  return {
    kind: 'client',
    name: 'updatepath',
    request: (ctx, request, next) => updatePathRequest(name, ctx, request, next),
    close: (ctx, connection, next) => updatePathClose(name, ctx, connection, next),
  };
}
