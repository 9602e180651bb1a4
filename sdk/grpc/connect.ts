import {
  type Connection,
  type Context,
  InvalidArgumentError,
  type NetworkServiceClient,
  type NetworkServiceRequest,
} from '../core/index.js';
import type { GrpcChannelCache } from './channels.js';
import type { RemoteCallOptions } from './remote.js';
import { tokenMetadata } from './token-metadata.js';

export interface GrpcConnectOptions {
  /**
   * The remote endpoint: a fixed address (`host:port` or `unix:///path`), or one chosen per call, for
   * example from a context value an earlier element set.
   */
  readonly target: string | ((ctx: Context, connection: Connection) => string);
  /** Channels to dial through; the owner closes them when the process stops. */
  readonly channels: GrpcChannelCache;
  /** Shown in traces. Default `grpcConnect`. */
  readonly name?: string;
}

/** The call's wall-clock deadline from the context's remaining time (the context may run on a fake clock). */
function callOptions(ctx: Context, connection: Connection | null): RemoteCallOptions {
  const remaining = ctx.remainingMs();
  return {
    signal: ctx.signal,
    metadata: tokenMetadata(connection),
    ...(remaining === undefined ? {} : { deadline: Date.now() + Math.max(0, remaining) }),
  };
}

/**
 * The terminal element of a client chain: sends the Request (or Close) to a remote
 * `networkservice.NetworkService` and returns the remote's connection. It does not call `next` — the
 * remote chain is the rest of the chain, as with the Go SDK's `connect.NewClient`. The call carries the
 * context's deadline and this hop's token headers, and is cancelled when the context aborts; a gRPC
 * status comes back as a MeridioError with the same code and message.
 */
export function grpcConnect(options: GrpcConnectOptions): NetworkServiceClient {
  const { target, channels } = options;
  const resolve = (ctx: Context, connection: Connection): string =>
    typeof target === 'string' ? target : target(ctx, connection);
  return {
    kind: 'client',
    name: options.name ?? 'grpcConnect',
    request: async (ctx: Context, request: NetworkServiceRequest): Promise<Connection> => {
      ctx.throwIfCancelled();
      const connection = request.connection;
      if (!connection) {
        throw new InvalidArgumentError(
          'the request has no connection: there is nothing to send to the remote endpoint',
        );
      }
      return channels.networkService(resolve(ctx, connection)).request(request, callOptions(ctx, connection));
    },
    close: async (ctx: Context, connection: Connection): Promise<void> => {
      ctx.throwIfCancelled();
      return channels
        .networkService(resolve(ctx, connection))
        .close(connection, callOptions(ctx, connection));
    },
  };
}
