/**
 * Typed kernel errors. The `netlink` package rejects with a plain `Error("Request rejected: EEXIST")`
 * (no `.code`), fs calls throw Node errors with `.code`, and the koffi calls return an errno name: all
 * three are turned here into one class per kind of failure, carrying the gRPC code, the errno name and
 * the network namespace, with a message that names the object and the namespace.
 */
import { Code, MeridioError } from '../core/index.js';

export interface KernelErrorOptions {
  /** The namespace the operation ran in, as shown to people (its name, or a path). */
  namespace: string;
  /** The errno name (`EEXIST`, …) when the kernel refused; absent for input rejected before any call. */
  errno?: string;
  cause?: unknown;
}

export class KernelError extends MeridioError {
  readonly namespace: string;
  readonly errno: string | undefined;

  constructor(message: string, code: Code, options: KernelErrorOptions) {
    super(message, code, { cause: options.cause });
    this.namespace = options.namespace;
    this.errno = options.errno;
  }
}

/** The object already exists (EEXIST). */
export class KernelExistsError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.ALREADY_EXISTS, options);
  }
}

/** The object, a device it refers to, or the namespace does not exist (ENOENT, ENODEV, ESRCH, …). */
export class KernelNotFoundError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.NOT_FOUND, options);
  }
}

/** The process lacks the privilege (EPERM, EACCES): it needs CAP_NET_ADMIN / CAP_SYS_ADMIN. */
export class KernelPermissionError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.PERMISSION_DENIED, options);
  }
}

/** The object is in use in a way that forbids the change (EBUSY), e.g. enslaving a link that has a macvlan. */
export class KernelBusyError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.FAILED_PRECONDITION, options);
  }
}

/** The arguments are invalid: rejected by this layer before any call, or by the kernel (EINVAL, ERANGE, …). */
export class KernelInvalidArgumentError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.INVALID_ARGUMENT, options);
  }
}

/** This kernel lacks the feature (EOPNOTSUPP, EAFNOSUPPORT), e.g. an unknown link kind. */
export class KernelUnsupportedError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.UNIMPLEMENTED, options);
  }
}

/** A gateway or address is not reachable from the given device (ENETUNREACH, EHOSTUNREACH). */
export class KernelUnreachableError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.FAILED_PRECONDITION, options);
  }
}

/** A namespace handle was used after it was closed (its namespace deleted, or the layer closed). */
export class KernelClosedError extends KernelError {
  constructor(message: string, options: KernelErrorOptions) {
    super(message, Code.FAILED_PRECONDITION, options);
  }
}

type KernelErrorClass = new (message: string, options: KernelErrorOptions) => KernelError;

interface ErrnoKind {
  errorClass: KernelErrorClass;
  reason: string;
}

const kinds: Record<string, ErrnoKind> = {
  EEXIST: { errorClass: KernelExistsError, reason: 'it already exists' },
  ENOTEMPTY: { errorClass: KernelExistsError, reason: 'it already exists' },
  ENOENT: { errorClass: KernelNotFoundError, reason: 'it does not exist' },
  ENODEV: { errorClass: KernelNotFoundError, reason: 'the device does not exist' },
  ESRCH: { errorClass: KernelNotFoundError, reason: 'no such entry exists' },
  EADDRNOTAVAIL: { errorClass: KernelNotFoundError, reason: 'the address is not assigned there' },
  EPERM: {
    errorClass: KernelPermissionError,
    reason: 'the operation is not permitted (it needs CAP_NET_ADMIN)',
  },
  EACCES: { errorClass: KernelPermissionError, reason: 'permission denied' },
  EROFS: { errorClass: KernelPermissionError, reason: 'the file system is read-only' },
  EBUSY: { errorClass: KernelBusyError, reason: 'the object is busy (in use by something else)' },
  EINVAL: { errorClass: KernelInvalidArgumentError, reason: 'the kernel rejected the arguments as invalid' },
  ERANGE: { errorClass: KernelInvalidArgumentError, reason: 'a value is out of range' },
  E2BIG: { errorClass: KernelInvalidArgumentError, reason: 'a value is too large' },
  EOPNOTSUPP: { errorClass: KernelUnsupportedError, reason: 'this kernel does not support it' },
  ENOTSUP: { errorClass: KernelUnsupportedError, reason: 'this kernel does not support it' },
  EAFNOSUPPORT: { errorClass: KernelUnsupportedError, reason: 'the address family is not supported here' },
  EPROTONOSUPPORT: { errorClass: KernelUnsupportedError, reason: 'the protocol is not supported' },
  ENETUNREACH: { errorClass: KernelUnreachableError, reason: 'the network is unreachable' },
  EHOSTUNREACH: { errorClass: KernelUnreachableError, reason: 'the host is unreachable' },
};

/**
 * The errno name of a failure from the `netlink` package (message `Request rejected: EEXIST`), from a
 * Node system error (`.code`), or undefined for anything else.
 */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  if (error instanceof Error) {
    const match = /^Request rejected: (E[A-Z0-9]+|-?\d+)$/.exec(error.message);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * A typed error for a failed `action` ("create veth link 'a' with peer 'b'") in `namespace`:
 * "Cannot <action> in network namespace '<namespace>': <reason> (<errno>)."
 * A KernelError passes through unchanged, so wrapping twice keeps the innermost sentence.
 */
export function kernelError(cause: unknown, action: string, namespace: string): KernelError {
  return fromCause(cause, `Cannot ${action} in network namespace '${namespace}'`, namespace);
}

/**
 * A typed error for a failed operation on a namespace itself:
 * "Cannot <verb> network namespace '<name>'<detail>: <reason> (<errno>)."
 */
export function namespaceError(cause: unknown, verb: string, name: string, detail = ''): KernelError {
  return fromCause(cause, `Cannot ${verb} network namespace '${name}'${detail}`, name);
}

function fromCause(cause: unknown, sentence: string, namespace: string): KernelError {
  if (cause instanceof KernelError) return cause;
  const errno = errnoOf(cause);
  const kind = errno === undefined ? undefined : kinds[errno];
  const options = { namespace, errno, cause };
  if (kind === undefined) {
    const detail = errno ?? (cause instanceof Error ? cause.message : String(cause));
    return new KernelError(`${sentence}: the call failed (${detail}).`, Code.INTERNAL, options);
  }
  return new kind.errorClass(`${sentence}: ${kind.reason} (${errno}).`, options);
}

/** True when `error` says the object is already gone (used by deletes that accept that). */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof KernelNotFoundError || kinds[errnoOf(error) ?? '']?.errorClass === KernelNotFoundError
  );
}

/** True when `error` says the object already exists (used by idempotent adds). */
export function isExists(error: unknown): boolean {
  return error instanceof KernelExistsError || errnoOf(error) === 'EEXIST';
}

/** An Error carrying an errno name as `.code`, for failures reported by the koffi calls. */
export function errnoFailure(errno: string): Error & { code: string } {
  return Object.assign(new Error(errno), { code: errno });
}
