import * as grpc from '@grpc/grpc-js';

import { networkServiceApi } from '../../../proto/index.js';
import {
  chainClient,
  chainServer,
  clientToServer,
  Code,
  Context,
  defineServer,
  DeadlineExceededError,
  InvalidArgumentError,
  MeridioError,
  msToTimestamp,
  newPathSegment,
  newRequest,
  type NetworkServiceServer,
  ResourceExhaustedError,
  runClose,
  runRequest,
  type Connection,
  type NetworkServiceRequest,
} from '../../../sdk/core/index.js';
import {
  GrpcChannelCache,
  grpcConnect,
  type RunningGrpcServer,
  serveEndpoint,
  startGrpcServer,
} from '../../../sdk/grpc/index.js';
import { listenAddress, type ListenAddress, TRANSPORTS } from './listen.js';

interface Served {
  readonly server: RunningGrpcServer;
  readonly target: string;
  readonly address: ListenAddress;
}

describe.each(TRANSPORTS)('a chain served over gRPC (%s)', (transport) => {
  const running: Served[] = [];
  let channels: GrpcChannelCache;

  async function serve(chain: NetworkServiceServer): Promise<string> {
    const address = listenAddress(transport);
    const server = await serveEndpoint({ listen: address.listen, chain });
    const target = address.dial(server.port);
    running.push({ server, target, address });
    return target;
  }

  beforeEach(() => {
    channels = new GrpcChannelCache();
  });

  afterEach(async () => {
    channels.close();
    for (const { server, address } of running.splice(0)) {
      await server.stop(100);
      address.cleanup();
    }
  });

  it('requests, refreshes and closes a connection through the remote chain', async () => {
    const seen: string[] = [];
    const target = await serve(
      defineServer('recorder', {
        request: async (ctx, request, next) => {
          seen.push(`request ${request.connection?.id}`);
          const connection = await next.request(ctx, request);
          connection.labels = { ...connection.labels, served: 'yes' };
          return connection;
        },
        close: async (ctx, connection, next) => {
          seen.push(`close ${connection.id}`);
          await next.close(ctx, connection);
        },
      }),
    );
    const client = chainClient(grpcConnect({ target, channels }));
    const ctx = Context.background();
    const request = newRequest({ connection: { id: 'c-1', network_service: 'icmp' } });
    const first = await runRequest(client, ctx, request);
    expect(first).toMatchObject({ id: 'c-1', network_service: 'icmp', labels: { served: 'yes' } });
    const refreshed = await runRequest(client, ctx, { connection: first, mechanism_preferences: [] });
    expect(refreshed.labels).toEqual({ served: 'yes' });
    await runClose(client, ctx, refreshed);
    await runClose(client, ctx, refreshed);
    expect(seen).toEqual(['request c-1', 'request c-1', 'close c-1', 'close c-1']);
    expect(channels.size).toBe(1);
  });

  it('returns an error thrown deep in the server chain with its code and message', async () => {
    const pass = defineServer('pass');
    const target = await serve(
      chainServer(
        pass,
        chainServer(
          pass,
          defineServer('exhausted', {
            request: () =>
              Promise.reject(new ResourceExhaustedError('the pool 10.0.0.0/30 has no free address')),
          }),
        ),
      ),
    );
    const client = grpcConnect({ target, channels });
    const failure = runRequest(
      client,
      Context.background(),
      newRequest({ connection: { id: 'c', network_service: 's' } }),
    );
    await expect(failure).rejects.toBeInstanceOf(ResourceExhaustedError);
    await expect(failure).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
      message: 'the pool 10.0.0.0/30 has no free address',
    });
  });

  it('keeps the code and message across a proxy', async () => {
    const inner = await serve(
      defineServer('denier', {
        request: () => Promise.reject(new MeridioError('no route to trench-a', Code.PERMISSION_DENIED)),
      }),
    );
    const proxy = await serve(
      chainServer(defineServer('proxy'), clientToServer(grpcConnect({ target: inner, channels }))),
    );
    const failure = runRequest(
      grpcConnect({ target: proxy, channels }),
      Context.background(),
      newRequest({ connection: { id: 'p', network_service: 's' } }),
    );
    await expect(failure).rejects.toMatchObject({
      code: Code.PERMISSION_DENIED,
      message: 'no route to trench-a',
    });
  });

  it("cancels the server's work when the client's deadline passes", async () => {
    let sawAbort: (reason: unknown) => void = () => undefined;
    const serverAborted = new Promise<unknown>((resolve) => (sawAbort = resolve));
    const target = await serve(
      defineServer('slow', {
        request: (ctx) =>
          new Promise<Connection>((_resolve, reject) => {
            ctx.signal.addEventListener('abort', () => {
              sawAbort(ctx.signal.reason);
              reject(ctx.signal.reason as Error);
            });
          }),
      }),
    );
    const [ctx, cancel] = Context.background().withTimeout(200);
    const failure = runRequest(
      grpcConnect({ target, channels }),
      ctx,
      newRequest({ connection: { id: 'd', network_service: 's' } }),
    );
    await expect(failure).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    await expect(serverAborted).resolves.toBeInstanceOf(DeadlineExceededError);
    cancel();
  });

  it("cancels the server's work when the client cancels", async () => {
    let started: () => void = () => undefined;
    const serverStarted = new Promise<void>((resolve) => (started = resolve));
    let sawAbort: (reason: unknown) => void = () => undefined;
    const serverAborted = new Promise<unknown>((resolve) => (sawAbort = resolve));
    const target = await serve(
      defineServer('waits', {
        request: (ctx) =>
          new Promise<Connection>((_resolve, reject) => {
            started();
            ctx.signal.addEventListener('abort', () => {
              sawAbort(ctx.signal.reason);
              reject(ctx.signal.reason as Error);
            });
          }),
      }),
    );
    const [ctx, cancel] = Context.background().withCancel();
    const failure = runRequest(
      grpcConnect({ target, channels }),
      ctx,
      newRequest({ connection: { id: 'x', network_service: 's' } }),
    );
    await serverStarted;
    cancel();
    await expect(failure).rejects.toMatchObject({ code: Code.CANCELLED });
    await expect(serverAborted).resolves.toMatchObject({
      code: Code.CANCELLED,
      message: 'the caller cancelled the call',
    });
  });

  it("fills the caller's segment from nsm-client-token headers", async () => {
    let callerSegment: unknown;
    const target = await serve(
      defineServer('reader', {
        request: (ctx, request, next) => {
          const path = request.connection?.path;
          callerSegment = path?.path_segments[path.index];
          return next.request(ctx, request);
        },
      }),
    );
    const raw = new (networkServiceApi().networkservice.NetworkService)(
      target,
      grpc.credentials.createInsecure(),
    );
    const metadata = new grpc.Metadata();
    metadata.set('nsm-client-token', 'jwt-of-nsc');
    metadata.set('nsm-client-token-expires', '2030-01-02T05:04:05.678+02:00');
    const body = {
      connection: {
        id: 't',
        network_service: 's',
        path: { index: 0, path_segments: [{ name: 'nsc', id: 't' }] },
      },
    };
    await new Promise<void>((resolve, reject) =>
      raw.Request(body, metadata, (error) => (error ? reject(error) : resolve())),
    );
    raw.getChannel().close();
    expect(callerSegment).toMatchObject({
      name: 'nsc',
      token: 'jwt-of-nsc',
      expires: msToTimestamp(Date.UTC(2030, 0, 2, 3, 4, 5, 678)),
    });
  });

  it("sends this hop's token as nsm-client-token headers", async () => {
    const headers: grpc.Metadata[] = [];
    const address = listenAddress(transport);
    const server = await startGrpcServer({
      listen: address.listen,
      services: [
        {
          name: 'networkservice.NetworkService',
          definition: networkServiceApi().networkservice.NetworkService.service,
          implementation: {
            Request: (
              call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
              respond: grpc.sendUnaryData<Connection>,
            ) => {
              headers.push(call.metadata);
              respond(null, call.request.connection);
            },
          },
        },
      ],
    });
    running.push({ server, target: address.dial(server.port), address });
    const request = newRequest({
      connection: {
        id: 't',
        network_service: 's',
        path: {
          index: 0,
          path_segments: [
            newPathSegment({
              name: 'nsc',
              id: 't',
              token: 'jwt-of-nsc',
              expires: msToTimestamp(Date.UTC(2030, 0, 2, 3, 4, 5, 678)),
            }),
          ],
        },
      },
    });
    await runRequest(
      grpcConnect({ target: address.dial(server.port), channels }),
      Context.background(),
      request,
    );
    expect(headers[0]?.get('nsm-client-token')).toEqual(['jwt-of-nsc']);
    expect(headers[0]?.get('nsm-client-token-expires')).toEqual(['2030-01-02T03:04:05.678Z']);
  });

  it('answers bad input with INVALID_ARGUMENT and a sentence', async () => {
    const target = await serve(
      defineServer('never-reached', { request: () => Promise.reject(new Error('reached')) }),
    );
    const api = networkServiceApi();
    const raw = new api.networkservice.NetworkService(target, grpc.credentials.createInsecure());
    const call = <T>(
      invoke: (cb: (error: grpc.ServiceError | null, value?: T) => void) => void,
    ): Promise<grpc.ServiceError | null> => new Promise((resolve) => invoke((error) => resolve(error)));
    const noConnection = await call((cb) => raw.Request({}, cb));
    expect(noConnection?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noConnection?.details).toMatch(/^the request has no connection: .+/);
    const noService = await call((cb) => raw.Request({ connection: { id: 'a' } }, cb));
    expect(noService?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noService?.details).toMatch(/has no network_service: set connection\.network_service/);
    const noId = await call((cb) => raw.Close({ network_service: 's' }, cb));
    expect(noId?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noId?.details).toMatch(/^the connection to close has no id: .+/);
    raw.getChannel().close();
    const viaClient = runRequest(
      grpcConnect({ target, channels }),
      Context.background(),
      newRequest({ connection: { id: 'a' } }),
    );
    await expect(viaClient).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
