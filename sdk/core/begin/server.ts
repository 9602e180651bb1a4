import type { NetworkServiceServer } from '../element.js';
import { Begin, beginSettings } from './begin.js';
import type { BeginOptions } from './options.js';

/**
 * Runs one event at a time per connection id, in arrival order, and adds the connection's
 * `EventFactory` to the context (timeout uses it to close expired connections); Close runs with the
 * last returned connection and forgets the id, and a Close for an unknown id is a no-op. A Request in
 * state RESELECT_REQUESTED on an established id first closes the old path; returned connections are UP.
 */
export function beginServer(options: BeginOptions = {}): NetworkServiceServer {
  const begin = new Begin(beginSettings('server', options));
  return {
    kind: 'server',
    name: 'begin',
    request: (ctx, request, next) => begin.request(ctx, request, next),
    close: (ctx, connection, next) => begin.close(ctx, connection, next),
  };
}
