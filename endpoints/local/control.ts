/**
 * The supervisor's control API: JSON over HTTP on a unix socket in the state directory, which only
 * root (the owner of the directory) can reach. `GET /status`, `POST /scale {"targets": N}`,
 * `POST /down`.
 */
import { rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { codeOf, Code, MeridioError, messageOf, UnavailableError } from '../../sdk/core/index.js';
import { LocalNotUpError } from './errors.js';
import type { LocalStatus } from './status.js';

export interface ControlHandlers {
  status(): LocalStatus;
  scale(targets: number): void;
  down(): void;
}

function readBody(message: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    message.on('data', (chunk: Buffer) => (body += chunk.toString()));
    message.on('end', () => resolve(body));
    message.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

async function handle(handlers: ControlHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const route = `${req.method} ${req.url}`;
    if (route === 'GET /status') return reply(res, 200, handlers.status());
    if (route === 'POST /scale') {
      const body = JSON.parse((await readBody(req)) || '{}') as { targets?: unknown };
      handlers.scale(Number(body.targets));
      return reply(res, 202, { accepted: true });
    }
    if (route === 'POST /down') {
      handlers.down();
      return reply(res, 202, { accepted: true });
    }
    reply(res, 404, { error: `No such control request: ${route}.` });
  } catch (error) {
    reply(res, codeOf(error) === Code.INVALID_ARGUMENT ? 400 : 500, { error: messageOf(error) });
  }
}

export async function serveControl(
  path: string,
  handlers: ControlHandlers,
): Promise<{ close(): Promise<void> }> {
  rmSync(path, { force: true });
  const server: Server = createServer((req, res) => void handle(handlers, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A control request to the supervisor; LocalNotUpError when nothing answers on the socket. */
export function controlRequest<T>(
  path: string,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: path,
        // A fresh connection each time: a pooled one may be to a supervisor that has gone.
        agent: false,
        method,
        path: url,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          try {
            const parsed = JSON.parse(text) as T & { error?: string };
            if ((res.statusCode ?? 500) >= 400) {
              reject(
                new MeridioError(
                  parsed.error ?? `The supervisor answered ${res.statusCode}.`,
                  res.statusCode === 400 ? Code.INVALID_ARGUMENT : Code.INTERNAL,
                ),
              );
            } else resolve(parsed);
          } catch (error) {
            reject(new UnavailableError(`The supervisor's answer is not JSON: ${messageOf(error)}.`));
          }
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
          ? new LocalNotUpError(`No supervisor answers on ${path}.`)
          : error,
      );
    });
    req.end(payload);
  });
}
