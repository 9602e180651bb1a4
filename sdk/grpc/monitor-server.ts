import { once } from 'node:events';

import type * as grpc from '@grpc/grpc-js';

import type { MonitorConnectionHandlers } from '../../proto/gen/connection/MonitorConnection.js';
import { type ConnectionEvent, Context, type MonitorScopeSelector } from '../core/index.js';
import { contextForCall } from './call-context.js';
import type { ServedContextOptions } from './network-service-server.js';
import { toServerStatus } from './status.js';

/**
 * Where MonitorConnections events come from: the endpoint's `monitor` element. The stream starts with
 * INITIAL_STATE_TRANSFER and ends when `signal` aborts.
 */
export interface ConnectionEventSource {
  subscribe(selector: MonitorScopeSelector, signal: AbortSignal): AsyncIterable<ConnectionEvent>;
}

/** Writes one event, waiting while the caller's receive window is full. */
async function write(
  call: grpc.ServerWritableStream<MonitorScopeSelector, ConnectionEvent>,
  event: ConnectionEvent,
  signal: AbortSignal,
): Promise<void> {
  if (!call.write(event)) await once(call, 'drain', { signal });
}

/**
 * The grpc-js implementation of `connection.MonitorConnection`: each stream subscribes to `source` with
 * the caller's selector until the caller cancels; an error from the source ends the stream with its
 * status and message.
 */
export function monitorConnectionHandlers(
  source: ConnectionEventSource,
  options: ServedContextOptions = {},
): MonitorConnectionHandlers {
  const base = options.context ?? Context.background();
  return {
    MonitorConnections: (call) => {
      const { ctx, end } = contextForCall(base, call, { rpc: 'MonitorConnections' });
      const stream = async (): Promise<void> => {
        for await (const event of source.subscribe(call.request, ctx.signal)) {
          await write(call, event, ctx.signal);
        }
      };
      stream().then(
        () => {
          end();
          call.end();
        },
        (error: unknown) => {
          const cancelled = ctx.signal.aborted;
          end();
          if (cancelled) return;
          const status = toServerStatus(error);
          ctx.logger.info({ code: status.code, err: error }, `MonitorConnections failed: ${status.details}`);
          call.emit('error', status);
        },
      );
    },
  };
}
