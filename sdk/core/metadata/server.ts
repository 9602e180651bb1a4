import { type NetworkServiceServer } from '../element.js';
import { MetadataStore } from './common.js';

/**
 * Adds a per-connection-id metadata record to the context for the server elements after it (read with
 * `serverMetadata(ctx)`); deletes the record on Close (the elements after it still see it during that
 * Close) and when a first Request fails.
 */
export function metadataServer(): NetworkServiceServer {
  const store = new MetadataStore();
  return {
    kind: 'server',
    name: 'metadata',
    request: (ctx, request, next) => store.request(ctx, request, next),
    close: (ctx, connection, next) => store.close(ctx, connection, next),
  };
}
