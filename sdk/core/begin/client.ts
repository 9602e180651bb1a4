import type { NetworkServiceClient } from '../element.js';
import { Begin, beginSettings } from './begin.js';
import type { BeginClientOptions } from './options.js';

/**
 * Runs one event at a time per connection id, in arrival order, merges a repeated Request with the
 * connection the chain holds, and adds the connection's `EventFactory` to the context (refresh and heal
 * use it); Close runs with the last returned connection and forgets the id, and a Close for an unknown
 * id is a no-op. Reselect events close first, then request again through the reselect function.
 */
export function beginClient(options: BeginClientOptions = {}): NetworkServiceClient {
  const begin = new Begin(beginSettings('client', options));
  return {
    kind: 'client',
    name: 'begin',
    request: (ctx, request, next) => begin.request(ctx, request, next),
    close: (ctx, connection, next) => begin.close(ctx, connection, next),
  };
}
