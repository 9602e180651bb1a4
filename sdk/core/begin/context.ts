import { type Context, contextKey } from '../context.js';
import { Code, MeridioError } from '../errors.js';

export interface EventOptions {
  /** The event is skipped when this signal has aborted by the time its turn comes. */
  readonly cancel?: AbortSignal;
  /**
   * Client side only: close the connection downstream first, then request it again with the reselect
   * function applied (default: no mechanism, no endpoint name, state RESELECT_REQUESTED).
   */
  readonly reselect?: boolean;
}

/**
 * Lets an element start an event for its connection from inside the chain (timeout closes, refresh and
 * heal re-request). The event waits its turn behind the connection's other events and runs the chain
 * from begin's position, with the last request whose connection is the last one the chain returned.
 * The promise settles when the event has run (or was skipped because the connection is gone, the
 * cancel signal aborted or the chain's lifetime ended) and rejects with the chain's error.
 */
export interface EventFactory {
  request(options?: EventOptions): Promise<void>;
  close(options?: EventOptions): Promise<void>;
}

/** Thrown when an element asks for the event factory in a chain without begin before it. */
export class EventFactoryMissingError extends MeridioError {
  constructor() {
    super(
      'no event factory in the context: put beginServer() or beginClient() in the chain before the ' +
        'elements that start events (timeout, refresh, heal)',
      Code.INTERNAL,
    );
  }
}

export const eventFactoryKey = contextKey<EventFactory>('begin.eventFactory');

/** The event factory of the connection being handled. */
export function eventFactoryOf(ctx: Context): EventFactory {
  const factory = ctx.value(eventFactoryKey);
  if (factory === undefined) throw new EventFactoryMissingError();
  return factory;
}
