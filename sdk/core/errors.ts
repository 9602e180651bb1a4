/**
 * Typed errors. Every error that can cross the wire carries a gRPC status code, so adapters map it
 * without guessing. The numeric values are the standard gRPC codes (grpc/status.proto).
 */
export enum Code {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

export class MeridioError extends Error {
  constructor(
    message: string,
    readonly code: Code = Code.UNKNOWN,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.INVALID_ARGUMENT, options);
  }
}

export class NotFoundError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.NOT_FOUND, options);
  }
}

export class AlreadyExistsError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.ALREADY_EXISTS, options);
  }
}

export class ResourceExhaustedError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.RESOURCE_EXHAUSTED, options);
  }
}

export class FailedPreconditionError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.FAILED_PRECONDITION, options);
  }
}

export class PermissionDeniedError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.PERMISSION_DENIED, options);
  }
}

export class UnavailableError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.UNAVAILABLE, options);
  }
}

export class InternalError extends MeridioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.INTERNAL, options);
  }
}

export class CancelledError extends MeridioError {
  constructor(message = 'the operation was cancelled', options?: { cause?: unknown }) {
    super(message, Code.CANCELLED, options);
  }
}

export class DeadlineExceededError extends MeridioError {
  constructor(message = 'the deadline was exceeded', options?: { cause?: unknown }) {
    super(message, Code.DEADLINE_EXCEEDED, options);
  }
}

/** The gRPC code of any thrown value: typed errors keep theirs, anything else is UNKNOWN. */
export function codeOf(error: unknown): Code {
  if (error instanceof MeridioError) return error.code;
  if (isStatusLike(error)) return error.code;
  return Code.UNKNOWN;
}

/** The message to show for any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Normalizes any thrown value into an Error (keeps MeridioErrors as they are). */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new MeridioError(String(error));
}

/** Two failures of one operation (e.g. a request failed and the rollback failed too), keeping the first code. */
export function joinErrors(first: unknown, second: unknown): Error {
  const message = `${messageOf(first)}; and then: ${messageOf(second)}`;
  return new MeridioError(message, codeOf(first), { cause: first });
}

function isStatusLike(error: unknown): error is { code: Code } {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const { code } = error as { code: unknown };
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16;
}
