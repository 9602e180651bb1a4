/**
 * Serves a registry in the Prometheus text format on `GET /metrics` over TCP or a unix socket. A unix
 * socket left behind by a killed predecessor is replaced (only when it is a socket); the socket file is
 * removed on close.
 */
import { lstatSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

import { UnavailableError, messageOf } from '../core/index.js';
import { type MetricsAddress, parseMetricsAddress } from './address.js';

export interface MetricsServer {
  /** What it listens on: `unix:///path` or `host:port` with the bound port. */
  readonly address: string;
  close(): Promise<void>;
}

export interface ServeMetricsOptions {
  /** A `--metrics` value (see address.ts), or an already parsed address. */
  readonly listen: string | MetricsAddress;
  readonly registry: Registry;
  readonly logger?: Logger;
}

async function answer(registry: Registry, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' || path !== '/metrics') {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are served on GET /metrics\n');
    return;
  }
  try {
    const body = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType }).end(body);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain' }).end(`${messageOf(error)}\n`);
  }
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) rmSync(path);
  } catch {
    // Nothing there: nothing to remove.
  }
}

function listen(server: Server, address: MetricsAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, done);
    else server.listen({ host: address.host, port: address.port, ipv6Only: false }, done);
  });
}

/**
 * Starts the metrics endpoint; undefined when `listen` is '' (metrics off). UnavailableError with the
 * reason when the address cannot be bound.
 */
export async function serveMetrics(options: ServeMetricsOptions): Promise<MetricsServer | undefined> {
  const address = typeof options.listen === 'string' ? parseMetricsAddress(options.listen) : options.listen;
  if (address === undefined) return undefined;
  const server = createServer((request, response) => void answer(options.registry, request, response));
  if (address.kind === 'unix') removeStaleSocket(address.path);
  try {
    await listen(server, address);
  } catch (error) {
    throw new UnavailableError(`Cannot serve metrics on ${address.text}: ${messageOf(error)}.`, {
      cause: error,
    });
  }
  const bound = server.address();
  const text =
    address.kind === 'unix'
      ? `unix://${address.path}`
      : typeof bound === 'object' && bound !== null
        ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`
        : address.text;
  options.logger?.info({ metrics: text }, 'serving metrics');
  return {
    address: text,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          if (address.kind === 'unix') rmSync(address.path, { force: true });
          resolve();
        });
      }),
  };
}
