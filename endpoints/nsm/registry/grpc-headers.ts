import * as grpc from '@grpc/grpc-js';

import { codeOf, Code, messageOf } from '../../../sdk/core/index.js';
import { REGISTRY_PATH_HEADER } from '../../../sdk/registry/index.js';

/** The gRPC status for a thrown value: typed errors keep their code and sentence, others are INTERNAL. */
export function toServerStatus(error: unknown): grpc.ServerErrorResponse {
  const code = codeOf(error);
  return {
    name: 'RegistryError',
    message: messageOf(error),
    code: code === Code.UNKNOWN ? grpc.status.INTERNAL : (code as number as grpc.status),
    details: messageOf(error),
  };
}

/**
 * Response headers for a call: NSM peers send their registry path in the `path` header and read it back
 * from the response header; without our own token there is nothing to add, so it is echoed unchanged.
 */
export function responseHeaders(call: { readonly metadata: grpc.Metadata }): grpc.Metadata {
  const headers = new grpc.Metadata();
  for (const value of call.metadata.get(REGISTRY_PATH_HEADER)) headers.add(REGISTRY_PATH_HEADER, value);
  return headers;
}
