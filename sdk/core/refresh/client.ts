import { eventFactoryOf, type EventFactory } from '../begin/index.js';
import type { Clock } from '../clock.js';
import type { Context } from '../context.js';
import type { NetworkServiceClient, Next } from '../element.js';
import { messageOf } from '../errors.js';
import { clientMetadata } from '../metadata/index.js';
import type { Connection, NetworkServiceRequest } from '../types.js';
import { cancelRefresh, type RefreshTimer, storeRefresh } from './metadata.js';
import { REFRESH_RETRY_MS, refreshDelayMs } from './schedule.js';

function schedule(ctx: Context, events: EventFactory, connectionId: string, delayMs: number): RefreshTimer {
  const clock: Clock = ctx.clock;
  const logger = ctx.logger;
  const cancel = new AbortController();
  const timer: RefreshTimer = { clock, cancel, handle: { id: 0 } };
  const fire = (): void => {
    // A successful refresh goes through this element again and schedules the next one itself.
    events.request({ cancel: cancel.signal }).catch((error: unknown) => {
      if (cancel.signal.aborted) return;
      logger.warn(
        { connectionId, error: messageOf(error), retryMs: REFRESH_RETRY_MS },
        'refresh failed; trying again',
      );
      timer.handle = clock.setTimeout(fire, REFRESH_RETRY_MS);
    });
  };
  timer.handle = clock.setTimeout(fire, delayMs);
  return timer;
}

async function request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
  const metadata = clientMetadata(ctx);
  const events = eventFactoryOf(ctx);
  const connection = await next.request(ctx, request);
  cancelRefresh(metadata);
  const delayMs = refreshDelayMs(connection, ctx.clock.now());
  if (delayMs === undefined) {
    ctx.logger.debug({ connectionId: connection.id }, 'refresh: no path segment expires; nothing to refresh');
    return connection;
  }
  storeRefresh(metadata, schedule(ctx, events, connection.id, delayMs));
  return connection;
}

async function close(ctx: Context, connection: Connection, next: Next): Promise<void> {
  try {
    cancelRefresh(clientMetadata(ctx));
  } finally {
    await next.close(ctx, connection);
  }
}

/**
 * Re-requests the connection through begin's event factory before the shortest path-segment expiry
 * (retrying a failed refresh every 200 ms) so the endpoint keeps it; Close stops the refreshes.
 */
export function refreshClient(): NetworkServiceClient {
  return { kind: 'client', name: 'refresh', request, close };
}
