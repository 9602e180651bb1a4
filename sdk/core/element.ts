import type { Context } from './context.js';
import type { Connection, NetworkServiceRequest } from './types.js';

/** The rest of the chain after an element. Calling it continues the Request or Close. */
export interface Next {
  request(ctx: Context, request: NetworkServiceRequest): Promise<Connection>;
  close(ctx: Context, connection: Connection): Promise<void>;
}

interface Element {
  /** Shown in traces and in "error returned from <name>". */
  readonly name: string;
  /**
   * Does its work before and/or after `next.request`, and returns the connection that `next` returned
   * (possibly changed). The request is edited in place, as in the NSM SDK.
   */
  request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection>;
  /** Undoes the element's work for the connection; best effort, idempotent, always calls `next.close`. */
  close(ctx: Context, connection: Connection, next: Next): Promise<void>;
}

/** An element of an endpoint's (server) chain: the side that receives Requests. */
export interface NetworkServiceServer extends Element {
  readonly kind: 'server';
}

/** An element of a client chain: the side that sends Requests. */
export interface NetworkServiceClient extends Element {
  readonly kind: 'client';
}

export type ElementHandlers = Partial<Pick<Element, 'request' | 'close'>>;

const passRequest: Element['request'] = (ctx, request, next) => next.request(ctx, request);
const passClose: Element['close'] = (ctx, connection, next) => next.close(ctx, connection);

/** A server element from plain functions; a missing handler passes straight to next. */
export function defineServer(name: string, handlers: ElementHandlers = {}): NetworkServiceServer {
  return {
    kind: 'server',
    name,
    request: handlers.request ?? passRequest,
    close: handlers.close ?? passClose,
  };
}

/** A client element from plain functions; a missing handler passes straight to next. */
export function defineClient(name: string, handlers: ElementHandlers = {}): NetworkServiceClient {
  return {
    kind: 'client',
    name,
    request: handlers.request ?? passRequest,
    close: handlers.close ?? passClose,
  };
}

/** The end of every chain: Request returns the request's connection unchanged, Close does nothing. */
export const tail: Next = {
  request: (_ctx, request) => {
    if (!request.connection) return Promise.reject(new TypeError('the request has no connection'));
    return Promise.resolve(request.connection);
  },
  close: () => Promise.resolve(),
};
