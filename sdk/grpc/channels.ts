import * as grpc from '@grpc/grpc-js';

import type { MonitorConnectionClient } from '../../proto/gen/connection/MonitorConnection.js';
import type { NetworkServiceClient as GrpcNetworkServiceClient } from '../../proto/gen/networkservice/NetworkService.js';
import { networkServiceApi } from '../../proto/index.js';
import { FailedPreconditionError } from '../core/index.js';
import { parseServiceAddress } from './address.js';
import { MonitorConnectionRemote, NetworkServiceRemote } from './remote.js';

export interface GrpcChannelOptions {
  /** Default: insecure (unix sockets and in-cluster TCP without TLS). */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
}

interface CachedTarget {
  readonly networkService: NetworkServiceRemote;
  readonly monitorConnection: MonitorConnectionRemote;
  readonly close: () => void;
}

/**
 * One gRPC channel per target (`host:port` or `unix:///path`), shared by every call to it, as a Go
 * process keeps one ClientConn per URL. `close()` closes them all; the cache is unusable afterwards.
 */
export class GrpcChannelCache {
  private readonly targets = new Map<string, CachedTarget>();
  private closed = false;

  constructor(private readonly options: GrpcChannelOptions = {}) {}

  /** The NetworkService at `address`, dialled on first use. */
  networkService(address: string): NetworkServiceRemote {
    return this.target(address).networkService;
  }

  /** The MonitorConnection at `address`, on the same channel as its NetworkService. */
  monitorConnection(address: string): MonitorConnectionRemote {
    return this.target(address).monitorConnection;
  }

  /** How many targets have an open channel. */
  get size(): number {
    return this.targets.size;
  }

  close(): void {
    this.closed = true;
    for (const target of this.targets.values()) target.close();
    this.targets.clear();
  }

  private target(address: string): CachedTarget {
    if (this.closed) {
      throw new FailedPreconditionError(`cannot dial ${address}: the gRPC channel cache has been closed`);
    }
    const target = parseServiceAddress(address).target;
    let cached = this.targets.get(target);
    if (!cached) {
      cached = this.dial(target);
      this.targets.set(target, cached);
    }
    return cached;
  }

  private dial(target: string): CachedTarget {
    const api = networkServiceApi();
    const credentials = this.options.credentials ?? grpc.credentials.createInsecure();
    const networkService = new api.networkservice.NetworkService(
      target,
      credentials,
      this.options.channelOptions,
    ) as GrpcNetworkServiceClient;
    const monitor = new api.connection.MonitorConnection(target, credentials, {
      ...this.options.channelOptions,
      channelOverride: networkService.getChannel(),
    }) as MonitorConnectionClient;
    return {
      networkService: new NetworkServiceRemote(networkService),
      monitorConnection: new MonitorConnectionRemote(monitor),
      // Not `networkService.close()`: proto-loader aliases the Close RPC as `close`, hiding grpc.Client#close.
      close: () => networkService.getChannel().close(),
    };
  }
}
