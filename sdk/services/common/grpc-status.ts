/**
 * The two directions of the gRPC error edge: a thrown error becomes a status with a sentence on the
 * server, and a failed call becomes a MeridioError with the same code on the client.
 */
import type * as grpc from '@grpc/grpc-js';

import { Code, MeridioError, codeOf, messageOf } from '../../core/index.js';

/** The status a server handler answers for `error`: typed errors keep their code and sentence. */
export function toGrpcStatus(error: unknown): Partial<grpc.StatusObject> {
  const code = error instanceof MeridioError ? error.code : Code.INTERNAL;
  const details = error instanceof MeridioError ? error.message : `internal error: ${messageOf(error)}`;
  return { code: code as number as grpc.status, details };
}

/** A failed call as a MeridioError carrying the server's code; `what` names the call for the message. */
export function fromGrpcError(error: unknown, what: string): MeridioError {
  if (error instanceof MeridioError) return error;
  const details =
    typeof error === 'object' && error !== null && 'details' in error && typeof error.details === 'string'
      ? error.details
      : messageOf(error);
  return new MeridioError(`${what} failed: ${details}`, codeOf(error), { cause: error });
}

/** Whether a failed call is worth retrying on a new connection (the server was unreachable). */
export function isUnavailable(error: unknown): boolean {
  return codeOf(error) === Code.UNAVAILABLE;
}
