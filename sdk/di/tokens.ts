import type { Logger } from 'pino';

import type { Clock, Context } from '../core/index.js';
import type { GrpcChannelCache } from '../grpc/index.js';

/**
 * A service identifier that carries the type of what it resolves to, so `resolve(container, token)`
 * and `@inject(token)` need no casts at the call site.
 */
export type Token<T> = symbol & { readonly __resolvesTo?: T };

export function token<T>(description: string): Token<T> {
  return Symbol(description) as Token<T>;
}

/** What every process container provides (see `createProcessContainer`). */
export const CoreTokens = Object.freeze({
  /** The component name, bound into every log line (`lb`, `proxy`, `custom-endpoint`…). */
  Component: token<string>('Component'),
  Logger: token<Logger>('Logger'),
  Clock: token<Clock>('Clock'),
  /** The process's root context: its logger and clock; cancelled when the container is disposed. */
  RootContext: token<Context>('RootContext'),
  /** Every outgoing gRPC channel of the process; closed when the container is disposed. */
  GrpcChannels: token<GrpcChannelCache>('GrpcChannels'),
});
