import type { NetworkServiceClient, NetworkServiceServer } from '../element.js';

/**
 * Runs a client element inside a server chain (and the reverse). The element's `next` is the
 * surrounding chain's continuation, so mixed chains read as one list; the adapter itself adds nothing.
 */
export function clientToServer(client: NetworkServiceClient): NetworkServiceServer {
  return {
    kind: 'server',
    name: client.name,
    request: (ctx, request, next) => client.request(ctx, request, next),
    close: (ctx, connection, next) => client.close(ctx, connection, next),
  };
}

export function serverToClient(server: NetworkServiceServer): NetworkServiceClient {
  return {
    kind: 'client',
    name: server.name,
    request: (ctx, request, next) => server.request(ctx, request, next),
    close: (ctx, connection, next) => server.close(ctx, connection, next),
  };
}
