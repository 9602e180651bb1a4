import { type NetworkServiceClient } from '../element.js';
import { MetadataStore } from './common.js';

/**
 * Adds a per-connection-id metadata record to the context for the client elements after it (read with
 * `clientMetadata(ctx)`); deletes the record on Close (the elements after it still see it during that
 * Close) and when a first Request fails.
 */
export function metadataClient(): NetworkServiceClient {
  const store = new MetadataStore();
  return {
    kind: 'client',
    name: 'metadata',
    request: (ctx, request, next) => store.request(ctx, request, next),
    close: (ctx, connection, next) => store.close(ctx, connection, next),
  };
}
