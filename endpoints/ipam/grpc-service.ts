/** The allocator as the gRPC service `ipam.IpamService`: wire messages in and out, errors as statuses. */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { ipamApi } from '../../proto/index.js';
import type { IpamServiceHandlers } from '../../proto/gen/ipam/IpamService.js';
import type { ServiceRegistration } from '../../sdk/grpc/server.js';
import { toGrpcStatus } from '../../sdk/services/common/index.js';
import { IPAM_SERVICE_NAME, prefixToSubnet, subnetToPrefix } from '../../sdk/services/ipam/index.js';
import type { SubnetAllocator } from './allocator.js';

function unary<Request, Response>(
  logger: Logger,
  method: string,
  handle: (request: Request) => Response,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    try {
      callback(null, handle(call.request));
    } catch (error) {
      logger.debug({ method, error }, 'request refused');
      callback(toGrpcStatus(error));
    }
  };
}

export function ipamGrpcService(allocator: SubnetAllocator, logger: Logger): ServiceRegistration {
  const implementation: IpamServiceHandlers = {
    Allocate: unary(logger, 'Allocate', (request) => {
      const pool = subnetToPrefix(request.subnetPool, 'subnet pool');
      const allocation = allocator.allocate({
        pool,
        prefixLength: request.prefixLength,
        owner: request.owner,
      });
      return prefixToSubnet(allocation.subnet);
    }),
    Release: unary(logger, 'Release', (request) => {
      allocator.release(
        subnetToPrefix(request.subnetPool, 'subnet pool'),
        subnetToPrefix(request.subnet, 'subnet'),
      );
      return {};
    }),
  };
  return { name: IPAM_SERVICE_NAME, definition: ipamApi().ipam.IpamService.service, implementation };
}
