import type { Context } from './context.js';
import { type NetworkServiceClient, type NetworkServiceServer, type Next, tail } from './element.js';
import {
  isTracing,
  traceChainClose,
  traceChainRequest,
  traceElementClose,
  traceElementRequest,
} from './trace/index.js';
import type { Connection, NetworkServiceRequest } from './types.js';

type AnyElement = NetworkServiceServer | NetworkServiceClient;

/**
 * The continuation after element `index`: the next element, or the enclosing chain's `next` after the
 * last one. That hand-over is what lets a chain nest as one element of another chain. Every element is
 * traced when the context's logger asks for it; otherwise the call is direct, so a quiet chain costs one
 * level check per element.
 */
class ChainNext implements Next {
  constructor(
    private readonly elements: readonly AnyElement[],
    private readonly index: number,
    private readonly parent: Next,
  ) {}

  request(ctx: Context, request: NetworkServiceRequest): Promise<Connection> {
    const element = this.elements[this.index]!;
    if (!isTracing(ctx)) return element.request(ctx, request, this.after());
    return traceElementRequest(element, ctx, request, this.after());
  }

  close(ctx: Context, connection: Connection): Promise<void> {
    const element = this.elements[this.index]!;
    if (!isTracing(ctx)) return element.close(ctx, connection, this.after());
    return traceElementClose(element, ctx, connection, this.after());
  }

  private after(): Next {
    const following = this.index + 1;
    return following < this.elements.length
      ? new ChainNext(this.elements, following, this.parent)
      : this.parent;
  }
}

function compose<E extends AnyElement>(kind: E['kind'], name: string, elements: readonly E[]): E {
  const list = Object.freeze([...elements]);
  const start = (parent: Next): Next => (list.length === 0 ? parent : new ChainNext(list, 0, parent));
  return {
    kind,
    name,
    request: (ctx: Context, request: NetworkServiceRequest, next: Next) =>
      isTracing(ctx)
        ? traceChainRequest(name, ctx, request, (traced) => start(next).request(traced, request))
        : start(next).request(ctx, request),
    close: (ctx: Context, connection: Connection, next: Next) =>
      isTracing(ctx)
        ? traceChainClose(name, ctx, connection, (traced) => start(next).close(traced, connection))
        : start(next).close(ctx, connection),
  } as E;
}

/** Server elements run in order; the chain is itself a server element and nests in other chains. */
export function chainServer(...elements: NetworkServiceServer[]): NetworkServiceServer {
  return compose<NetworkServiceServer>('server', 'chain', elements);
}

/** Client elements run in order; the chain is itself a client element and nests in other chains. */
export function chainClient(...elements: NetworkServiceClient[]): NetworkServiceClient {
  return compose<NetworkServiceClient>('client', 'chain', elements);
}

/** A named chain (the name shows in traces). */
export function namedChainServer(name: string, ...elements: NetworkServiceServer[]): NetworkServiceServer {
  return compose<NetworkServiceServer>('server', name, elements);
}

export function namedChainClient(name: string, ...elements: NetworkServiceClient[]): NetworkServiceClient {
  return compose<NetworkServiceClient>('client', name, elements);
}

/** Runs a Request through an element with the tail after it (the way an adapter or a user calls a chain). */
export async function runRequest(
  element: AnyElement,
  ctx: Context,
  request: NetworkServiceRequest,
): Promise<Connection> {
  return element.request(ctx, request, tail);
}

/** Runs a Close through an element with the tail after it. */
export async function runClose(element: AnyElement, ctx: Context, connection: Connection): Promise<void> {
  return element.close(ctx, connection, tail);
}
