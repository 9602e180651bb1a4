import {
  type Connection,
  type Context,
  defineClient,
  defineServer,
  type ElementHandlers,
  type NetworkServiceClient,
  type NetworkServiceRequest,
  type NetworkServiceServer,
} from '../core/index.js';

/** A check throws (e.g. a failed `expect`) to fail the call; the error reaches the caller of the chain. */
export type RequestCheck = (request: NetworkServiceRequest) => void | Promise<void>;
export type ResponseCheck = (connection: Connection) => void | Promise<void>;
export type ContextCheck = (ctx: Context) => void | Promise<void>;

function requestHandlers(check: RequestCheck): ElementHandlers {
  return {
    request: async (ctx, request, next) => {
      await check(request);
      return next.request(ctx, request);
    },
  };
}

function responseHandlers(check: ResponseCheck): ElementHandlers {
  return {
    request: async (ctx, request, next) => {
      const connection = await next.request(ctx, request);
      await check(connection);
      return connection;
    },
  };
}

function contextHandlers(check: ContextCheck): ElementHandlers {
  return {
    request: async (ctx, request, next) => {
      await check(ctx);
      return next.request(ctx, request);
    },
    close: async (ctx, connection, next) => {
      await check(ctx);
      return next.close(ctx, connection);
    },
  };
}

/** Checks the request as it goes on to next. */
export function checkRequestServer(check: RequestCheck): NetworkServiceServer {
  return defineServer('check-request', requestHandlers(check));
}

export function checkRequestClient(check: RequestCheck): NetworkServiceClient {
  return defineClient('check-request', requestHandlers(check));
}

/** Checks the connection that next returned. */
export function checkResponseServer(check: ResponseCheck): NetworkServiceServer {
  return defineServer('check-response', responseHandlers(check));
}

export function checkResponseClient(check: ResponseCheck): NetworkServiceClient {
  return defineClient('check-response', responseHandlers(check));
}

/** Checks the context passed on to next, on Request and Close. */
export function checkContextServer(check: ContextCheck): NetworkServiceServer {
  return defineServer('check-context', contextHandlers(check));
}

export function checkContextClient(check: ContextCheck): NetworkServiceClient {
  return defineClient('check-context', contextHandlers(check));
}
