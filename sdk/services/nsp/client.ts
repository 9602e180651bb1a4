/**
 * A promise-style client of the NSP: one attempt per call, failures as MeridioErrors with the
 * server's code and sentence. The registrar and the watcher build their retry loops on it.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { nspApi } from '../../../proto/index.js';
import type { Empty__Output } from '../../../proto/gen/google/protobuf/Empty.js';
import type { GetTargetsResponse__Output } from '../../../proto/gen/nsp/GetTargetsResponse.js';
import type { NetworkServicePlateformServiceClient } from '../../../proto/gen/nsp/NetworkServicePlateformService.js';
import type { Target__Output } from '../../../proto/gen/nsp/Target.js';
import { Code, codeOf, systemClock, type Clock } from '../../core/index.js';
import { fromGrpcError, parseServiceAddress } from '../../grpc/index.js';
import { clientChannelOptions, unaryCall, type BackoffOptions, type CallOptions } from '../common/index.js';
import { SNAPSHOT_SIZE_HEADER, toWireTarget, type TargetEvent } from './protocol.js';
import type { NspTarget } from './target.js';

export interface NspClientOptions {
  /** `host:port` or `unix:///path`. */
  readonly address: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Reconnect backoff of the channel, and of the registrar and watcher built on this client. */
  readonly backoff?: BackoffOptions;
  readonly channelOptions?: grpc.ChannelOptions;
}

/** An open Monitor stream: the registered targets as Register events, then every change. */
export interface MonitorStream extends AsyncIterable<TargetEvent> {
  /** The snapshot size the server announced in its headers; undefined from a server that does not. */
  readonly snapshotSize: Promise<number | undefined>;
  cancel(): void;
}

export interface NspClient {
  readonly address: string;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly backoff: BackoffOptions | undefined;
  register(target: NspTarget, options?: CallOptions): Promise<void>;
  unregister(target: NspTarget, options?: CallOptions): Promise<void>;
  getTargets(options?: CallOptions): Promise<NspTarget[]>;
  monitor(): MonitorStream;
  close(): void;
}

function fromWire(target: Target__Output): NspTarget {
  return { ips: target.ips, context: target.context };
}

function openMonitor(grpcClient: NetworkServicePlateformServiceClient): MonitorStream {
  const call = grpcClient.Monitor({});
  let cancelled = false;
  const snapshotSize = new Promise<number | undefined>((resolve) => {
    call.once('metadata', (metadata: grpc.Metadata) => {
      const [value] = metadata.get(SNAPSHOT_SIZE_HEADER);
      const size = value === undefined ? NaN : Number(value);
      resolve(Number.isSafeInteger(size) && size >= 0 ? size : undefined);
    });
    // A stream that fails before its headers has no snapshot; iteration reports the failure.
    call.once('status', () => resolve(undefined));
    call.once('error', () => resolve(undefined));
  });
  return {
    snapshotSize,
    cancel() {
      cancelled = true;
      call.cancel();
    },
    async *[Symbol.asyncIterator]() {
      try {
        for await (const message of call as AsyncIterable<Target__Output>) {
          yield { status: message.status, target: fromWire(message) };
        }
      } catch (error) {
        if (cancelled && codeOf(error) === Code.CANCELLED) return;
        throw fromGrpcError(error);
      }
    },
  };
}

export function createNspClient(options: NspClientOptions): NspClient {
  const { nsp } = nspApi();
  const grpcClient: NetworkServicePlateformServiceClient = new nsp.NetworkServicePlateformService(
    parseServiceAddress(options.address).target,
    grpc.credentials.createInsecure(),
    clientChannelOptions(options.backoff, options.channelOptions),
  );
  return {
    address: options.address,
    clock: options.clock ?? systemClock,
    logger: options.logger,
    backoff: options.backoff,
    async register(target, callOptions) {
      const message = toWireTarget(target);
      await unaryCall<Empty__Output>(
        (metadata, call, done) => grpcClient.Register(message, metadata, call, done),
        callOptions,
      );
    },
    async unregister(target, callOptions) {
      const message = toWireTarget(target, 'Unregister');
      await unaryCall<Empty__Output>(
        (metadata, call, done) => grpcClient.Unregister(message, metadata, call, done),
        callOptions,
      );
    },
    async getTargets(callOptions) {
      const response = await unaryCall<GetTargetsResponse__Output>(
        (metadata, call, done) => grpcClient.GetTargets({}, metadata, call, done),
        callOptions,
      );
      return response.targets.map(fromWire);
    },
    monitor: () => openMonitor(grpcClient),
    close() {
      grpcClient.close();
    },
  };
}
