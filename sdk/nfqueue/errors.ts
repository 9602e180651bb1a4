import { Code, MeridioError } from '../core/index.js';

/** A failure of the NFQUEUE data path, with the errno name when the kernel gave one. */
export class NfQueueError extends MeridioError {
  constructor(
    message: string,
    code: Code,
    readonly errno?: string,
    options?: { cause?: unknown },
  ) {
    super(message, code, options);
  }
}

/** Another socket (another process, or another open queue of this one) already holds the queue number. */
export class NfQueueBusyError extends NfQueueError {
  constructor(message: string, errno?: string, options?: { cause?: unknown }) {
    super(message, Code.ALREADY_EXISTS, errno, options);
  }
}

/** The process may not bind queues: binding needs CAP_NET_ADMIN in the namespace. */
export class NfQueuePermissionError extends NfQueueError {
  constructor(message: string, errno?: string, options?: { cause?: unknown }) {
    super(message, Code.PERMISSION_DENIED, errno, options);
  }
}

/** The kernel of the namespace has no usable nfnetlink_queue (module missing or not loadable). */
export class NfQueueUnavailableError extends NfQueueError {
  constructor(message: string, errno?: string, options?: { cause?: unknown }) {
    super(message, Code.FAILED_PRECONDITION, errno, options);
  }
}

/** The network namespace to serve the queue in does not exist. */
export class NetnsNotFoundError extends NfQueueError {
  constructor(message: string, errno?: string, options?: { cause?: unknown }) {
    super(message, Code.NOT_FOUND, errno, options);
  }
}

/** The compiled addon is missing: the build did not run `node-gyp rebuild` (npm run build:native). */
export class NativeAddonMissingError extends NfQueueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.FAILED_PRECONDITION, undefined, options);
  }
}

/** A publish could not complete because a queue thread still reads the buffer it would overwrite. */
export class FlowTableBusyError extends NfQueueError {
  constructor(message: string) {
    super(message, Code.UNAVAILABLE);
  }
}
