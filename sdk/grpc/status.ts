import type * as grpc from '@grpc/grpc-js';

import {
  AlreadyExistsError,
  CancelledError,
  Code,
  codeOf,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  MeridioError,
  messageOf,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
} from '../core/index.js';

/**
 * The status a server sends for an error thrown by a chain: its `MeridioError` code (UNKNOWN for
 * anything untyped) and its message. A code of OK on an error would report success, so it becomes UNKNOWN.
 */
export function toServerStatus(error: unknown): { code: grpc.status; details: string } {
  const code = codeOf(error);
  // Our Code and grpc-js's status are both the numbers of grpc/status.proto.
  return {
    code: (code === Code.OK ? Code.UNKNOWN : code) as number as grpc.status,
    details: messageOf(error),
  };
}

type ErrorConstructor = new (message: string, options?: { cause?: unknown }) => MeridioError;

const TYPED_ERRORS: Partial<Record<Code, ErrorConstructor>> = {
  [Code.CANCELLED]: CancelledError,
  [Code.INVALID_ARGUMENT]: InvalidArgumentError,
  [Code.DEADLINE_EXCEEDED]: DeadlineExceededError,
  [Code.NOT_FOUND]: NotFoundError,
  [Code.ALREADY_EXISTS]: AlreadyExistsError,
  [Code.PERMISSION_DENIED]: PermissionDeniedError,
  [Code.RESOURCE_EXHAUSTED]: ResourceExhaustedError,
  [Code.FAILED_PRECONDITION]: FailedPreconditionError,
  [Code.UNAVAILABLE]: UnavailableError,
  [Code.INTERNAL]: InternalError,
};

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

/**
 * A gRPC client error as the `MeridioError` the remote chain threw: same code, same message (the
 * status details, without grpc-js's "3 INVALID_ARGUMENT:" prefix). The typed subclass is used where one
 * exists, so `instanceof InvalidArgumentError` holds on both sides of the wire and across proxies.
 */
export function fromGrpcError(error: unknown): MeridioError {
  if (error instanceof MeridioError) return error;
  if (!isServiceError(error)) return new MeridioError(messageOf(error), Code.UNKNOWN, { cause: error });
  const code = error.code as number as Code;
  const message = error.details || error.message;
  const Typed = TYPED_ERRORS[code];
  return Typed ? new Typed(message, { cause: error }) : new MeridioError(message, code, { cause: error });
}
