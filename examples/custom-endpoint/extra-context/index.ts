import { contextOf, defineServer, type NetworkServiceServer } from '../../../sdk/core/index.js';

/**
 * Writes fixed key/value pairs into the connection's `extra_context` on every Request (the endpoint's
 * values win over the client's for the same key). Nothing to undo: the values live in the connection.
 */
export function extraContext(values: Readonly<Record<string, string>>): NetworkServiceServer {
  const entries = Object.entries(values);
  return defineServer('extraContext', {
    request: (ctx, request, next) => {
      if (request.connection) {
        const context = contextOf(request.connection);
        for (const [key, value] of entries) context.extra_context[key] = value;
      }
      return next.request(ctx, request);
    },
  });
}
