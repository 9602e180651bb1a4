import {
  type Clock,
  clientMetadata,
  type Context,
  contextOf,
  defineClient,
  type EventFactory,
  eventFactoryOf,
  messageOf,
  type NetworkServiceClient,
  type TimerHandle,
} from '../../core/index.js';
import { type Announcement, loadAnnouncement, storeAnnouncement, takeAnnouncement } from './metadata.js';
import { READY_KEY } from './readiness.js';

/** The first retry of a ready refresh that failed; doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5000;

function stopAnnouncing(announcement: Announcement): void {
  const pending = announcement.pending;
  if (pending === undefined) return;
  announcement.pending = undefined;
  pending.clock.clearTimeout(pending.handle);
  pending.cancel.abort();
}

/** Requests the connection again (through begin, as refresh does) until a ready request succeeds. */
function announceSoon(
  ctx: Context,
  events: EventFactory,
  announcement: Announcement,
  connectionId: string,
): void {
  const clock: Clock = ctx.clock;
  const cancel = new AbortController();
  const pending: { clock: Clock; cancel: AbortController; handle: TimerHandle } = {
    clock,
    cancel,
    handle: { id: 0 },
  };
  let delay = FIRST_RETRY_MS;
  const fire = (): void => {
    // A successful ready request goes through this element, which marks the target announced.
    events.request({ cancel: cancel.signal }).catch((error: unknown) => {
      if (cancel.signal.aborted) return;
      ctx.logger.warn(
        { connectionId, error: messageOf(error), retryMs: delay },
        'telling the proxy the target is ready failed; trying again',
      );
      pending.handle = clock.setTimeout(fire, delay);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    });
  };
  pending.handle = clock.setTimeout(fire, 0);
  announcement.pending = pending;
}

/**
 * The target's half of nspRegister: makes the proxy register the target only once it can take
 * traffic. The first Request of a connection says `ready: "false"`; when it has returned — the
 * elements after this one have done their work: VIPs on `lo`, source routes through the new link — a
 * refresh is started at once through begin's event factory, saying `ready: "true"`, on which the proxy
 * registers the target (retried with backoff until it succeeds). Every later Request (refreshes,
 * heals, identifier changes) says `"true"`. Put it before the elements that make the target ready.
 * Close stops the announcement; a reselect (a Close first) starts over.
 */
export function nspRegisterClient(): NetworkServiceClient {
  return defineClient('nspRegister', {
    request: async (ctx, request, next) => {
      const metadata = clientMetadata(ctx);
      const announcement = loadAnnouncement(metadata);
      // After a first Request came back, the target has what it needs for traffic.
      const ready = announcement !== undefined;
      contextOf(request.connection!).extra_context[READY_KEY] = String(ready);
      const events = eventFactoryOf(ctx);
      const connection = await next.request(ctx, request);
      if (announcement === undefined) {
        const started: Announcement = { announced: false, pending: undefined };
        storeAnnouncement(metadata, started);
        announceSoon(ctx, events, started, connection.id);
      } else if (!announcement.announced) {
        announcement.announced = true;
        stopAnnouncing(announcement);
      }
      return connection;
    },
    close: async (ctx, connection, next) => {
      try {
        const announcement = takeAnnouncement(clientMetadata(ctx));
        if (announcement !== undefined) stopAnnouncing(announcement);
      } finally {
        await next.close(ctx, connection);
      }
    },
  });
}
