import type {
  Connection,
  Context,
  NetworkServiceClient,
  NetworkServiceRequest,
  NetworkServiceServer,
  Next,
} from '../core/index.js';

/** What a counting element has seen on the way in. */
export interface CallCounts {
  readonly requests: number;
  readonly closes: number;
  /** Distinct connection ids requested / closed. */
  readonly uniqueRequests: number;
  readonly uniqueCloses: number;
}

export interface CountingServer extends NetworkServiceServer, CallCounts {}
export interface CountingClient extends NetworkServiceClient, CallCounts {}

class Counter implements CallCounts {
  readonly name = 'count';
  private requestCount = 0;
  private closeCount = 0;
  private readonly requestIds = new Set<string>();
  private readonly closeIds = new Set<string>();

  get requests(): number {
    return this.requestCount;
  }

  get closes(): number {
    return this.closeCount;
  }

  get uniqueRequests(): number {
    return this.requestIds.size;
  }

  get uniqueCloses(): number {
    return this.closeIds.size;
  }

  request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
    this.requestCount += 1;
    this.requestIds.add(request.connection?.id ?? '');
    return next.request(ctx, request);
  }

  close(ctx: Context, connection: Connection, next: Next): Promise<void> {
    this.closeCount += 1;
    this.closeIds.add(connection.id);
    return next.close(ctx, connection);
  }
}

class ServerCounter extends Counter implements CountingServer {
  readonly kind = 'server';
}

class ClientCounter extends Counter implements CountingClient {
  readonly kind = 'client';
}

/** Counts Requests and Closes (and distinct connection ids) passing through; passes everything on. */
export function countServer(): CountingServer {
  return new ServerCounter();
}

export function countClient(): CountingClient {
  return new ClientCounter();
}
