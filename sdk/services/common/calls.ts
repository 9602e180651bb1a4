/**
 * The client side of the gRPC edge in promise form: one unary call with a deadline and an AbortSignal,
 * a retry loop for an unreachable server, and channel options that reconnect quickly after a restart.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { CancelledError, Code, codeOf, sleep, type Clock } from '../../core/index.js';
import { fromGrpcError } from '../../grpc/index.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Deadline of one attempt (default 10 s). */
  readonly timeoutMs?: number;
  /**
   * Wait (until the deadline) for a channel that is connecting or backing off, instead of failing
   * at once with UNAVAILABLE: useful for a one-shot call right after the server (re)starts.
   */
  readonly waitForReady?: boolean;
}

/**
 * Channel options for a client of a Meridio service: grpc-js's own reconnect backoff (1 s up to
 * 120 s by default) would leave a client waiting minutes after a server restart, so it follows ours.
 */
export function clientChannelOptions(
  backoff: BackoffOptions = {},
  extra: grpc.ChannelOptions = {},
): grpc.ChannelOptions {
  return {
    'grpc.initial_reconnect_backoff_ms': backoff.initialMs ?? 100,
    'grpc.max_reconnect_backoff_ms': backoff.maxMs ?? 5000,
    ...extra,
  };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CancelledError();
}

/** Runs one unary call; a failure becomes a MeridioError with the server's code and sentence. */
export function unaryCall<T>(
  start: (
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<T>,
  ) => grpc.ClientUnaryCall,
  options: CallOptions = {},
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => call.cancel();
    const metadata = new grpc.Metadata({ waitForReady: options.waitForReady ?? false });
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const call = start(metadata, { deadline }, (error, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(abortReason(signal));
      else if (error || response === undefined) reject(fromGrpcError(error));
      else resolve(response);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  readonly what: string;
  readonly clock: Clock;
  readonly backoff?: BackoffOptions;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

/**
 * Runs `attempt` until it succeeds, fails with anything but UNAVAILABLE, or the signal aborts; waits
 * with exponential backoff in between. Without a signal it waits for the server indefinitely, as
 * Meridio's clients do (gRPC WaitForReady).
 */
export async function retryWhileUnavailable<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (codeOf(error) !== Code.UNAVAILABLE || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(failures, options.backoff);
      options.logger?.debug({ what: options.what, delayMs, error }, 'service unavailable; retrying');
      await sleep(options.clock, delayMs, options.signal);
    }
  }
}
