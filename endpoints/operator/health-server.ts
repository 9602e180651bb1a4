/** Liveness and readiness for the kubelet's probes, on plain HTTP (`/healthz`, `/readyz`), as controller-runtime serves them. */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Undefined when ready, else why not (the body of the 503). */
  readonly notReadyBecause: () => string | undefined;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://health').pathname;
    const answer = (status: number, text: string): void => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${text}\n`);
    };
    if (path === '/healthz') return answer(200, 'ok');
    if (path === '/readyz') {
      const reason = options.notReadyBecause();
      return reason === undefined ? answer(200, 'ok') : answer(503, reason);
    }
    answer(404, `no such endpoint ${path}; try /healthz or /readyz`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
