import type * as grpc from '@grpc/grpc-js';

import type { NetworkServiceHandlers } from '../../proto/gen/networkservice/NetworkService.js';
import type { Empty } from '../../proto/gen/google/protobuf/Empty.js';
import {
  Code,
  type Connection,
  Context,
  type NetworkServiceRequest,
  type NetworkServiceServer,
  runClose,
  runRequest,
} from '../core/index.js';
import { contextForCall } from './call-context.js';
import { toServerStatus } from './status.js';
import { applyCallerToken } from './token-metadata.js';
import { validateClose, validateRequest } from './validate.js';

export interface ServedContextOptions {
  /**
   * The context every call derives from: its logger, clock and values reach the chain, and aborting it
   * cancels every call in flight. Tests put a fake clock here. Default: a silent background context.
   */
  readonly context?: Context;
}

type Work<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, ctx: Context) => Promise<Res>;

/** Failures that point at a bug rather than at the caller or the network. */
const UNEXPECTED = new Set<number>([Code.UNKNOWN, Code.INTERNAL, Code.DATA_LOSS]);

/** One unary handler: a per-call context, the work, and the answer (an error as a status with its message). */
function unary<Req, Res>(
  base: Context,
  rpc: string,
  connectionIdOf: (request: Req) => string | undefined,
  work: Work<Req, Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, respond) => {
    const { ctx, end } = contextForCall(base, call, { rpc, connection: connectionIdOf(call.request) });
    work(call, ctx).then(
      (response) => {
        end();
        respond(null, response);
      },
      (error: unknown) => {
        end();
        const status = toServerStatus(error);
        const level = UNEXPECTED.has(status.code) ? 'warn' : 'info';
        ctx.logger[level]({ code: status.code, err: error }, `${rpc} failed: ${status.details}`);
        respond(status);
      },
    );
  };
}

/**
 * The grpc-js implementation of `networkservice.NetworkService` for a server chain. Each call checks its
 * input, copies the caller's token headers into the caller's path segment and runs the chain with
 * `runRequest`/`runClose` in a context bound to the call.
 */
export function networkServiceHandlers(
  server: NetworkServiceServer,
  options: ServedContextOptions = {},
): NetworkServiceHandlers {
  const base = options.context ?? Context.background();
  return {
    Request: unary<NetworkServiceRequest, Connection>(
      base,
      'Request',
      (r) => r.connection?.id,
      async (call, ctx) => {
        const request = call.request;
        validateRequest(request);
        applyCallerToken(call.metadata, request.connection, ctx.logger);
        return runRequest(server, ctx, request);
      },
    ),
    Close: unary<Connection, Empty>(
      base,
      'Close',
      (c) => c.id,
      async (call, ctx) => {
        const connection = call.request;
        validateClose(connection);
        applyCallerToken(call.metadata, connection, ctx.logger);
        await runClose(server, ctx, connection);
        return {};
      },
    ),
  };
}
