/**
 * The NSP registry as the gRPC service `nsp.NetworkServicePlateformService`. Handlers only translate:
 * wire messages in, registry calls, wire messages or a status with a sentence out.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { nspApi } from '../../proto/index.js';
import type { Empty } from '../../proto/gen/google/protobuf/Empty.js';
import type { GetTargetsResponse } from '../../proto/gen/nsp/GetTargetsResponse.js';
import type { NetworkServicePlateformServiceHandlers } from '../../proto/gen/nsp/NetworkServicePlateformService.js';
import type { Target } from '../../proto/gen/nsp/Target.js';
import { toServerStatus, type ServiceRegistration } from '../../sdk/grpc/index.js';
import { NSP_SERVICE_NAME, SNAPSHOT_SIZE_HEADER, toWireTarget } from '../../sdk/services/nsp/index.js';
import type { TargetRegistry } from './registry.js';

/** Waits until the stream can take more, or the call is gone; true when writing may go on. */
function writable(call: grpc.ServerWritableStream<Empty, Target>): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean) => () => {
      call.off('drain', onDrain);
      call.off('cancelled', onGone);
      call.off('close', onGone);
      resolve(result);
    };
    const onDrain = done(true);
    const onGone = done(false);
    call.once('drain', onDrain);
    call.once('cancelled', onGone);
    call.once('close', onGone);
  });
}

async function monitor(
  registry: TargetRegistry,
  call: grpc.ServerWritableStream<Empty, Target>,
  logger: Logger,
): Promise<void> {
  let subscription;
  try {
    subscription = registry.subscribe();
  } catch (error) {
    call.emit('error', toServerStatus(error));
    return;
  }
  const metadata = new grpc.Metadata();
  metadata.set(SNAPSHOT_SIZE_HEADER, String(subscription.snapshotSize));
  call.sendMetadata(metadata);
  call.once('cancelled', () => subscription.close());
  logger.debug({ snapshot: subscription.snapshotSize }, 'monitor subscriber connected');
  try {
    for (let event = await subscription.next(); event; event = await subscription.next()) {
      if (call.cancelled) return;
      if (!call.write(toWireTarget(event.target, event.status)) && !(await writable(call))) return;
    }
    call.end();
  } catch (error) {
    logger.warn({ error }, 'monitor subscriber cut off');
    call.emit('error', toServerStatus(error));
  } finally {
    subscription.close();
  }
}

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
      callback(toServerStatus(error));
    }
  };
}

export function nspGrpcService(registry: TargetRegistry, logger: Logger): ServiceRegistration {
  const implementation: NetworkServicePlateformServiceHandlers = {
    Register: unary(logger, 'Register', (target): Empty => {
      registry.register(target);
      return {};
    }),
    Unregister: unary(logger, 'Unregister', (target): Empty => {
      registry.unregister(target);
      return {};
    }),
    GetTargets: unary(logger, 'GetTargets', (): GetTargetsResponse => ({
      targets: registry.targets().map((target) => toWireTarget(target)),
    })),
    Monitor: (call) => void monitor(registry, call, logger),
  };
  return {
    name: NSP_SERVICE_NAME,
    definition: nspApi().nsp.NetworkServicePlateformService.service,
    implementation,
  };
}
