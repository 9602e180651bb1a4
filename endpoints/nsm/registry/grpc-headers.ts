import * as grpc from '@grpc/grpc-js';

import { REGISTRY_PATH_HEADER } from '../../../sdk/registry/index.js';

/**
 * Response headers for a call: NSM peers send their registry path in the `path` header and read it back
 * from the response header; without our own token there is nothing to add, so it is echoed unchanged.
 */
export function responseHeaders(call: { readonly metadata: grpc.Metadata }): grpc.Metadata {
  const headers = new grpc.Metadata();
  for (const value of call.metadata.get(REGISTRY_PATH_HEADER)) headers.add(REGISTRY_PATH_HEADER, value);
  return headers;
}
