import { sleep } from '../clock.js';
import type { Context } from '../context.js';
import { copyMessage } from '../copy/index.js';
import type { NetworkServiceClient, Next } from '../element.js';
import { Code, codeOf, InvalidArgumentError, messageOf } from '../errors.js';

export interface RetryOptions {
  /** The budget of one try, in ms. Default 15 s. */
  readonly tryTimeoutMs?: number;
  /** The pause between tries, in ms. Default 200 ms. */
  readonly intervalMs?: number;
}

/** Errors that say the request itself is wrong: trying it again cannot help. */
const FINAL_CODES: ReadonlySet<Code> = new Set([
  Code.INVALID_ARGUMENT,
  Code.ALREADY_EXISTS,
  Code.PERMISSION_DENIED,
  Code.UNAUTHENTICATED,
  Code.UNIMPLEMENTED,
  Code.OUT_OF_RANGE,
]);

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`retry's ${name} must be a positive number of milliseconds, not ${value}`);
  }
  return value;
}

async function retrying<T>(
  ctx: Context,
  operation: 'request' | 'close',
  options: Required<RetryOptions>,
  attempt: (tryCtx: Context) => Promise<T>,
): Promise<T> {
  let lastError: unknown;
  for (;;) {
    // When the caller's time is up, the last try's error says more than "cancelled".
    if (ctx.cancelled) {
      if (lastError !== undefined) throw lastError;
      ctx.throwIfCancelled();
    }
    const [tryCtx, cancel] = ctx.withTimeout(options.tryTimeoutMs);
    try {
      return await attempt(tryCtx);
    } catch (error) {
      if (FINAL_CODES.has(codeOf(error)) || ctx.cancelled) throw error;
      lastError = error;
      ctx.logger.warn(
        { operation, code: codeOf(error), error: messageOf(error), retryMs: options.intervalMs },
        'retry: the attempt failed; trying again',
      );
    } finally {
      cancel();
    }
    await sleep(ctx.clock, options.intervalMs, ctx.signal).catch(() => undefined);
  }
}

/**
 * Retries `client`'s Request and Close (each try on a fresh copy, with its own timeout) every
 * `intervalMs` until one succeeds, the error is final (invalid argument, already exists, permission
 * denied, unauthenticated, unimplemented, out of range) or the context ends; adds and undoes nothing.
 */
export function retryClient(client: NetworkServiceClient, options: RetryOptions = {}): NetworkServiceClient {
  const settings: Required<RetryOptions> = {
    tryTimeoutMs: positive('tryTimeoutMs', options.tryTimeoutMs ?? 15_000),
    intervalMs: positive('intervalMs', options.intervalMs ?? 200),
  };
  return {
    kind: 'client',
    name: `retry(${client.name})`,
    request: (ctx, request, next: Next) =>
      retrying(ctx, 'request', settings, (tryCtx) => client.request(tryCtx, copyMessage(request), next)),
    close: (ctx, connection, next: Next) =>
      retrying(ctx, 'close', settings, (tryCtx) => client.close(tryCtx, copyMessage(connection), next)),
  };
}
