import { connect, type Socket } from 'node:net';

import * as grpc from '@grpc/grpc-js';

import { Context, defineServer, newRequest, runRequest } from '../../../sdk/core/index.js';
import {
  GrpcChannelCache,
  grpcConnect,
  type RunningGrpcServer,
  serveEndpoint,
} from '../../../sdk/grpc/index.js';
import { listenAddress, type ListenAddress, TRANSPORTS } from './listen.js';

/** Deterministic "random" bytes (xorshift32), so a failure can be replayed. */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Writes `bytes` on a raw connection and waits until either side has closed it. */
function sendRaw(address: ListenAddress, port: number, bytes: Buffer): Promise<void> {
  const target = address.dial(port);
  return new Promise((resolve) => {
    const socket: Socket = target.startsWith('unix://')
      ? connect({ path: target.slice('unix://'.length) })
      : connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.on('data', () => undefined);
    socket.end(bytes);
  });
}

describe.each(TRANSPORTS)('a served endpoint under garbage input (%s)', (transport) => {
  let address: ListenAddress;
  let server: RunningGrpcServer;
  let channels: GrpcChannelCache;
  let target: string;

  beforeEach(async () => {
    address = listenAddress(transport);
    server = await serveEndpoint({ listen: address.listen, chain: defineServer('echo') });
    target = address.dial(server.port);
    channels = new GrpcChannelCache();
  });

  afterEach(async () => {
    channels.close();
    await server.stop(100);
    address.cleanup();
  });

  async function stillServes(): Promise<void> {
    const connection = await runRequest(
      grpcConnect({ target, channels }),
      Context.background(),
      newRequest({ connection: { id: 'after-garbage', network_service: 'svc' } }),
    );
    expect(connection.id).toBe('after-garbage');
  }

  it('survives random bytes on a raw connection and keeps serving', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      await sendRaw(address, server.port, noise(64 + seed * 97, seed));
    }
    await stillServes();
  });

  it('survives an HTTP/2 preface followed by random frames and keeps serving', async () => {
    for (let seed = 100; seed < 120; seed++) {
      await sendRaw(address, server.port, Buffer.concat([HTTP2_PREFACE, noise(512, seed)]));
    }
    await stillServes();
  });

  it('answers a well-framed call whose message is random bytes, and keeps serving', async () => {
    const raw = new grpc.Client(target, grpc.credentials.createInsecure());
    const identity = (bytes: Buffer): Buffer => bytes;
    for (let seed = 200; seed < 220; seed++) {
      const answered = await new Promise<boolean>((resolve) => {
        raw.makeUnaryRequest(
          '/networkservice.NetworkService/Request',
          identity,
          identity,
          noise(200, seed),
          () => resolve(true),
        );
      });
      expect(answered).toBe(true);
    }
    raw.close();
    await stillServes();
  });
});
