/** The allocator as the gRPC service `ipam.IpamService`: wire messages in and out, errors as statuses. */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { ipamApi } from '../../proto/index.js';
import type { IpamServiceHandlers } from '../../proto/gen/ipam/IpamService.js';
import { toServerStatus, type ServiceRegistration } from '../../sdk/grpc/index.js';
import { IPAM_SERVICE_NAME, prefixToSubnet, subnetToPrefix } from '../../sdk/services/ipam/index.js';
import type { SubnetAllocator } from './allocator.js';
import { AllocationBatcher } from './batcher.js';

/** Answers a unary call with what `handle` returns or resolves to, or with the status of its error. */
function unary<Request, Response>(
  logger: Logger,
  method: string,
  handle: (request: Request) => Response | Promise<Response>,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    const refuse = (error: unknown): void => {
      logger.debug({ method, error }, 'request refused');
      callback(toServerStatus(error));
    };
    try {
      Promise.resolve(handle(call.request)).then((response) => callback(null, response), refuse);
    } catch (error) {
      refuse(error);
    }
  };
}

export function ipamGrpcService(allocator: SubnetAllocator, logger: Logger): ServiceRegistration {
  const batcher = new AllocationBatcher(allocator);
  const implementation: IpamServiceHandlers = {
    Allocate: unary(logger, 'Allocate', async (request) => {
      const pool = subnetToPrefix(request.subnetPool, 'subnet pool');
      const allocation = await batcher.allocate({
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
