/**
 * The only place the registry client touches grpc-js: the two registry services on one channel, with
 * calls as promises and server streams as async iterables, AbortSignal cancellation, deadlines, and
 * gRPC failures turned into MeridioErrors that keep the status code and the server's sentence.
 */
import * as grpc from '@grpc/grpc-js';

import { registryApi } from '../../proto/index.js';
import type { NetworkServiceEndpointRegistryClient } from '../../proto/gen/registry/NetworkServiceEndpointRegistry.js';
import type { NetworkServiceRegistryClient } from '../../proto/gen/registry/NetworkServiceRegistry.js';
import { CancelledError, Code, MeridioError } from '../core/index.js';
import { fromGrpcError, parseServiceAddress } from '../grpc/index.js';
import { AsyncQueue } from './async-queue.js';
import type { BackoffOptions } from './backoff.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import {
  type NetworkService,
  type NetworkServiceEndpoint,
  type NetworkServiceEndpointInit,
  type NetworkServiceInit,
  type RegistryEvent,
} from './types.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Deadline of the call; default the transport's. */
  readonly timeoutMs?: number;
}

/** A server stream: its response headers (once they arrive) and its messages. */
export interface ServerStream<T> {
  readonly headers: Promise<grpc.Metadata>;
  readonly messages: AsyncIterable<T>;
  cancel(): void;
}

export interface TransportOptions {
  readonly address: string;
  readonly callTimeoutMs: number;
  readonly reconnect?: BackoffOptions;
}

export class RegistryTransport {
  private readonly endpoints: NetworkServiceEndpointRegistryClient;
  private readonly services: NetworkServiceRegistryClient;

  constructor(private readonly options: TransportOptions) {
    const api = registryApi().registry;
    const { target } = parseServiceAddress(options.address);
    // grpc-js reconnects a lost channel with a backoff that grows to two minutes by default; a registry
    // on the same host comes back in seconds, so the channel retries on our (much shorter) schedule.
    const channelOptions: grpc.ChannelOptions = {
      'grpc.initial_reconnect_backoff_ms': options.reconnect?.initialMs ?? DEFAULT_BACKOFF.initialMs,
      'grpc.max_reconnect_backoff_ms': options.reconnect?.maxMs ?? DEFAULT_BACKOFF.maxMs,
    };
    this.endpoints = new api.NetworkServiceEndpointRegistry(
      target,
      grpc.credentials.createInsecure(),
      channelOptions,
    );
    this.services = new api.NetworkServiceRegistry(target, grpc.credentials.createInsecure(), {
      ...channelOptions,
      channelOverride: this.endpoints.getChannel(),
    });
  }

  registerEndpoint(
    endpoint: NetworkServiceEndpointInit,
    options: CallOptions = {},
  ): Promise<NetworkServiceEndpoint> {
    return this.unary(options, (metadata, callOptions, callback) =>
      this.endpoints.Register(endpoint, metadata, callOptions, callback),
    );
  }

  async unregisterEndpoint(endpoint: NetworkServiceEndpointInit, options: CallOptions = {}): Promise<void> {
    await this.unary(options, (metadata, callOptions, callback) =>
      this.endpoints.Unregister(endpoint, metadata, callOptions, callback),
    );
  }

  findEndpoints(
    query: NetworkServiceEndpointInit,
    watch: boolean,
    options: CallOptions = {},
  ): ServerStream<RegistryEvent<NetworkServiceEndpoint>> {
    return this.stream(
      options,
      watch,
      (metadata, callOptions) =>
        this.endpoints.Find({ network_service_endpoint: query, watch }, metadata, callOptions),
      (response) =>
        response.network_service_endpoint
          ? { item: response.network_service_endpoint, deleted: response.deleted }
          : undefined,
    );
  }

  registerService(service: NetworkServiceInit, options: CallOptions = {}): Promise<NetworkService> {
    return this.unary(options, (metadata, callOptions, callback) =>
      this.services.Register(service, metadata, callOptions, callback),
    );
  }

  async unregisterService(service: NetworkServiceInit, options: CallOptions = {}): Promise<void> {
    await this.unary(options, (metadata, callOptions, callback) =>
      this.services.Unregister(service, metadata, callOptions, callback),
    );
  }

  findServices(
    query: NetworkServiceInit,
    watch: boolean,
    options: CallOptions = {},
  ): ServerStream<RegistryEvent<NetworkService>> {
    return this.stream(
      options,
      watch,
      (metadata, callOptions) => this.services.Find({ network_service: query, watch }, metadata, callOptions),
      (response) =>
        response.network_service ? { item: response.network_service, deleted: response.deleted } : undefined,
    );
  }

  close(): void {
    this.endpoints.close();
  }

  private callOptions(options: CallOptions, watch = false): grpc.CallOptions {
    // A watch lasts until cancelled; every other call has a deadline.
    return watch ? {} : { deadline: Date.now() + (options.timeoutMs ?? this.options.callTimeoutMs) };
  }

  private unary<R>(
    options: CallOptions,
    invoke: (
      metadata: grpc.Metadata,
      callOptions: grpc.CallOptions,
      callback: grpc.requestCallback<R>,
    ) => grpc.ClientUnaryCall,
  ): Promise<R> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<R>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = invoke(waitingMetadata(), this.callOptions(options), (error, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(signal?.aborted ? abortReason(signal) : fromGrpcError(error));
        else if (response === undefined)
          reject(new MeridioError('the registry sent no response', Code.INTERNAL));
        else resolve(response);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private stream<M, T>(
    options: CallOptions,
    watch: boolean,
    invoke: (metadata: grpc.Metadata, callOptions: grpc.CallOptions) => grpc.ClientReadableStream<M>,
    convert: (message: M) => T | undefined,
  ): ServerStream<T> {
    const { signal } = options;
    const call = invoke(waitingMetadata(), this.callOptions(options, watch));
    const messages = new AsyncQueue<T>(() => call.cancel());
    const onAbort = (): void => call.cancel();
    const headers = new Promise<grpc.Metadata>((resolve, reject) => {
      call.once('metadata', resolve);
      call.once('error', (error: grpc.ServiceError) => reject(fromGrpcError(error)));
      call.once('end', () => resolve(new grpc.Metadata()));
    });
    // Nobody may wait for the headers (a one-shot Find); their failure also ends `messages`.
    headers.catch(() => undefined);
    call.on('data', (message: M) => {
      const value = convert(message);
      if (value !== undefined) messages.push(value);
    });
    call.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      messages.end();
    });
    call.on('error', (error: grpc.ServiceError) => {
      signal?.removeEventListener('abort', onAbort);
      messages.fail(signal?.aborted ? abortReason(signal) : fromGrpcError(error));
    });
    if (signal?.aborted) call.cancel();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return { headers, messages, cancel: () => call.cancel() };
  }
}

/** Calls wait (within their deadline) for a registry that is (re)starting rather than failing at once. */
function waitingMetadata(): grpc.Metadata {
  return new grpc.Metadata({ waitForReady: true });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new CancelledError();
}
