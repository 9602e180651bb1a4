import type { Status } from './types.js';

/** A failure answered as a Kubernetes `Status` object with this HTTP code and reason. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; kind?: string; group?: string },
  ) {
    super(message);
  }

  toStatus(): Status {
    return statusOf(this.code, this.reason, this.message, this.details);
  }
}

export function statusOf(
  code: number,
  reason: string,
  message: string,
  details?: { name?: string; kind?: string; group?: string },
): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 300 ? 'Success' : 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}
