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

/**
 * Requests the connection again through begin (as refresh does) — at once, then with backoff — until
 * an answer says the target is registered; one loop per connection.
 */
function announce(
  ctx: Context,
  events: EventFactory,
  announcement: Announcement,
  connectionId: string,
): void {
  if (announcement.pending !== undefined) return;
  const clock: Clock = ctx.clock;
  const cancel = new AbortController();
  const pending = { clock, cancel, handle: { id: 0 } };
  let delay = FIRST_RETRY_MS;
  const again = (why: string, error?: unknown): void => {
    ctx.logger[error === undefined ? 'info' : 'warn'](
      { connectionId, retryMs: delay, ...(error === undefined ? {} : { error: messageOf(error) }) },
      why,
    );
    pending.handle = clock.setTimeout(fire, delay);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  };
  function fire(): void {
    // The request goes through this element, which marks the announcement done when the answer says so.
    events.request({ cancel: cancel.signal }).then(
      () => {
        if (!cancel.signal.aborted && !announcement.announced) {
          again('the proxy has not registered the target yet; telling it again that it is ready');
        }
      },
      (error: unknown) => {
        if (!cancel.signal.aborted)
          again('telling the proxy the target is ready failed; trying again', error);
      },
    );
  }
  pending.handle = clock.setTimeout(fire, 0);
  announcement.pending = pending;
}

/**
 * The target's half of nspRegister: has the proxy register the target only once it can take traffic.
 * The first Request of a connection says `ready: "false"`, every later one `"true"`: by then the
 * elements after this one have done their work on an answer (VIPs on `lo`, the source route through
 * the link). When an answer says the target is not registered (`"false"`: a first Request, or a heal
 * onto a restarted proxy), a refresh saying `"true"` is started at once through begin's event factory,
 * and again with backoff until an answer says `"true"`; an answer without the key (a proxy that does
 * not know it registers at once) counts as registered. Put it before the elements that make the target
 * ready. Close stops it; a reselect (a Close first) starts over.
 */
export function nspRegisterClient(): NetworkServiceClient {
  return defineClient('nspRegister', {
    request: async (ctx, request, next) => {
      const metadata = clientMetadata(ctx);
      const known = loadAnnouncement(metadata);
      contextOf(request.connection!).extra_context[READY_KEY] = String(known !== undefined);
      const events = eventFactoryOf(ctx);
      const connection = await next.request(ctx, request);
      const announcement = known ?? { announced: false, pending: undefined };
      storeAnnouncement(metadata, announcement);
      announcement.announced = connection.context?.extra_context[READY_KEY] !== 'false';
      if (announcement.announced) stopAnnouncing(announcement);
      else announce(ctx, events, announcement, connection.id);
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
