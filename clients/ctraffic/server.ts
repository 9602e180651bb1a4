import { createServer, type Server, type Socket } from 'node:net';

import type { Logger } from 'pino';

import { encodeHostHeader, HOST_HEADER_BYTES } from './protocol.js';

export interface CtrafficServerOptions {
  /** Listen address; `::` listens on every IPv4 and IPv6 address. */
  readonly host: string;
  readonly port: number;
  /** Reported in every connection's first reply (network namespaces share the host's name). */
  readonly hostname: string;
  readonly logger?: Logger;
}

export interface RunningCtrafficServer {
  readonly port: number;
  /** Connections accepted since start. */
  connections(): number;
  /**
   * The peers (`address:port`, as the client reports its own end) of the connections open now: logged
   * at stop, they tell whose connections a removed target took with it.
   */
  openPeers(): string[];
  close(): Promise<void>;
}

/** Stamps the host header over the first 64 bytes of the stream, then echoes. */
function serveConnection(socket: Socket, header: Buffer): void {
  let stamped = 0;
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    if (stamped < HOST_HEADER_BYTES) {
      const take = Math.min(HOST_HEADER_BYTES - stamped, chunk.length);
      header.copy(chunk, 0, stamped, stamped + take);
      stamped += take;
    }
    socket.write(chunk);
  });
  // A client that vanishes (reset, timeout) is normal under test; nothing to report per connection.
  socket.on('error', () => socket.destroy());
}

/** A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`; the client knows itself as `a.b.c.d`. */
function peerOf(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  const plain =
    address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
  return `${plain}:${socket.remotePort ?? 0}`;
}

export async function startCtrafficServer(options: CtrafficServerOptions): Promise<RunningCtrafficServer> {
  const header = encodeHostHeader(options.hostname);
  const sockets = new Map<Socket, string>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.set(socket, peerOf(socket));
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, header);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  options.logger?.info({ host: options.host, port, hostname: options.hostname }, 'ctraffic server listening');
  return {
    port,
    connections: () => accepted,
    openPeers: () => [...sockets.values()],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.keys()) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
