import * as grpc from '@grpc/grpc-js';

import type { MonitorConnectionClient } from '../../proto/gen/connection/MonitorConnection.js';
import type { MonitorScopeSelector as MonitorScopeSelectorInit } from '../../proto/gen/connection/MonitorScopeSelector.js';
import type { NetworkServiceClient as GrpcNetworkServiceClient } from '../../proto/gen/networkservice/NetworkService.js';
import {
  CancelledError,
  type Connection,
  type ConnectionEvent,
  type NetworkServiceRequest,
} from '../core/index.js';
import { fromGrpcError } from './status.js';

/** Per-call options in the nice-grpc style: cancellation by signal, an absolute deadline, metadata. */
export interface RemoteCallOptions {
  /** Aborting cancels the call; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Wall-clock deadline in epoch milliseconds. */
  readonly deadline?: number;
  readonly metadata?: grpc.Metadata;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new CancelledError(String(reason));
}

function callOptions(options: RemoteCallOptions): grpc.CallOptions {
  return options.deadline === undefined ? {} : { deadline: options.deadline };
}

type UnaryInvoke<Res> = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

/** A unary call as a promise: cancelled when the signal aborts, gRPC errors as MeridioErrors. */
function unary<Res>(invoke: UnaryInvoke<Res>, options: RemoteCallOptions): Promise<Res> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<Res>((resolve, reject) => {
    const call = invoke(options.metadata ?? new grpc.Metadata(), callOptions(options), (error, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(abortReason(signal));
      else if (error) reject(fromGrpcError(error));
      else resolve(response as Res);
    });
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A remote `networkservice.NetworkService` with promise methods. */
export class NetworkServiceRemote {
  constructor(private readonly client: GrpcNetworkServiceClient) {}

  request(request: NetworkServiceRequest, options: RemoteCallOptions = {}): Promise<Connection> {
    return unary<Connection>(
      (metadata, call, callback) => this.client.Request(request, metadata, call, callback),
      options,
    );
  }

  async close(connection: Connection, options: RemoteCallOptions = {}): Promise<void> {
    await unary<object>(
      (metadata, call, callback) => this.client.Close(connection, metadata, call, callback),
      options,
    );
  }
}

/** A remote `connection.MonitorConnection` whose stream is an async iterable. */
export class MonitorConnectionRemote {
  constructor(private readonly client: MonitorConnectionClient) {}

  /**
   * The events for `selector`, starting with INITIAL_STATE_TRANSFER. Iteration ends quietly when
   * `signal` aborts or the server ends the stream, and throws a MeridioError when the stream fails
   * (UNAVAILABLE when the server goes away). Breaking out of the loop cancels the stream.
   */
  async *monitorConnections(
    selector: MonitorScopeSelectorInit,
    options: Omit<RemoteCallOptions, 'deadline'> = {},
  ): AsyncGenerator<ConnectionEvent, void, undefined> {
    const { signal } = options;
    if (signal?.aborted) return;
    const call = this.client.MonitorConnections(selector, options.metadata ?? new grpc.Metadata());
    // grpc-js emits the final status as an 'error' event even after the consumer stopped reading.
    call.on('error', () => undefined);
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of call) yield event as ConnectionEvent;
    } catch (error) {
      if (signal?.aborted) return;
      throw fromGrpcError(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }
}
