/**
 * A client of the IPAM service: allocate and release subnets given as CIDR text, waiting for the
 * service with backoff while it is unreachable. Only give an `owner` to retried allocations you need
 * to be exactly-once: an anonymous Allocate retried after a lost answer may hold a second subnet.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { ipamApi } from '../../../proto/index.js';
import type { IpamServiceClient } from '../../../proto/gen/ipam/IpamService.js';
import type { Empty__Output } from '../../../proto/gen/google/protobuf/Empty.js';
import type { Subnet__Output } from '../../../proto/gen/ipam/Subnet.js';
import { systemClock, type Clock } from '../../core/index.js';
import { parseServiceAddress } from '../../grpc/index.js';
import {
  clientChannelOptions,
  formatPrefix,
  parsePrefix,
  retryWhileUnavailable,
  unaryCall,
  type BackoffOptions,
  type CallOptions,
} from '../common/index.js';
import { prefixToSubnet, subnetToPrefix } from './wire.js';

export interface IpamClientOptions {
  /** `host:port` or `unix:///path`. */
  readonly address: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly backoff?: BackoffOptions;
  /** Extra grpc-js channel options. */
  readonly channelOptions?: grpc.ChannelOptions;
}

export interface AllocateSubnet {
  /** The pool as a CIDR: `172.16.0.0/16`. */
  readonly pool: string;
  readonly prefixLength: number;
  readonly owner?: string;
}

export interface ReleaseSubnet {
  readonly pool: string;
  /** The allocated subnet as a CIDR. */
  readonly subnet: string;
}

export interface IpamClient {
  /** Resolves to the allocated subnet as a CIDR (`172.16.3.0/24`). */
  allocate(request: AllocateSubnet, options?: CallOptions): Promise<string>;
  release(request: ReleaseSubnet, options?: CallOptions): Promise<void>;
  close(): void;
}

export function createIpamClient(options: IpamClientOptions): IpamClient {
  const { ipam } = ipamApi();
  const grpcClient: IpamServiceClient = new ipam.IpamService(
    parseServiceAddress(options.address).target,
    grpc.credentials.createInsecure(),
    clientChannelOptions(options.backoff, options.channelOptions),
  );
  const retry = <T>(what: string, attempt: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> =>
    retryWhileUnavailable(attempt, {
      what,
      clock: options.clock ?? systemClock,
      backoff: options.backoff,
      signal,
      logger: options.logger,
    });
  return {
    async allocate(request, callOptions = {}) {
      const pool = prefixToSubnet(parsePrefix(request.pool, 'subnet pool'));
      const message = { subnetPool: pool, prefixLength: request.prefixLength, owner: request.owner ?? '' };
      const what = `Allocate /${request.prefixLength} from ${request.pool}`;
      const subnet = await retry(
        what,
        () =>
          unaryCall<Subnet__Output>(
            (metadata, call, done) => grpcClient.Allocate(message, metadata, call, done),
            callOptions,
          ),
        callOptions.signal,
      );
      return formatPrefix(subnetToPrefix(subnet, 'allocated subnet'));
    },
    async release(request, callOptions = {}) {
      const message = {
        subnetPool: prefixToSubnet(parsePrefix(request.pool, 'subnet pool')),
        subnet: prefixToSubnet(parsePrefix(request.subnet, 'subnet')),
      };
      const what = `Release ${request.subnet} to ${request.pool}`;
      await retry(
        what,
        () =>
          unaryCall<Empty__Output>(
            (metadata, call, done) => grpcClient.Release(message, metadata, call, done),
            callOptions,
          ),
        callOptions.signal,
      );
    },
    close() {
      grpcClient.close();
    },
  };
}
