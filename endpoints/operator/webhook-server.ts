/**
 * The validating webhook over HTTPS (TLS ≥ 1.2, as controller-runtime serves it), with the key
 * and certificate read from files. The files are watched: when cert-manager or a Secret volume
 * replaces them, new connections get the new certificate without a restart.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

import type { Logger } from 'pino';

import { InvalidArgumentError } from '../../sdk/core/index.js';
import { TRENCH_WEBHOOK_PATH, answerAdmissionReview } from './admission.js';

export interface WebhookServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** PEM files, e.g. `tls.crt` and `tls.key` of a `kubernetes.io/tls` Secret. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly logger: Logger;
  /** Called after the certificate files were read again (for tests and logs). */
  readonly onCertificateReload?: () => void;
}

export interface WebhookServer {
  readonly port: number;
  /** Reads the certificate files again now (they are also watched). */
  reloadCertificate(): Promise<void>;
  /** Stops accepting connections and waits for the requests in flight. */
  close(): Promise<void>;
}

/** The API server never sends more than 3 MiB (its own request limit). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** The API server gives up after 10 s by default; a slower client is not the API server. */
const REQUEST_TIMEOUT_MS = 15_000;
/** A Secret volume update touches several entries at once; read the files once they settle. */
const RELOAD_DEBOUNCE_MS = 100;

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const logger = options.logger.child({ webhook: TRENCH_WEBHOOK_PATH });
  const readPair = async (): Promise<{ cert: Buffer; key: Buffer }> => {
    try {
      const [cert, key] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
      return { cert, key };
    } catch (error) {
      throw new InvalidArgumentError(
        `cannot read the webhook's TLS certificate ${options.certFile} and key ${options.keyFile}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  const server: Server = createServer({
    ...(await readPair()),
    minVersion: 'TLSv1.2',
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response, logger);
  });
  server.on('tlsClientError', (error) => logger.debug(`TLS handshake failed: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const reloadCertificate = async (): Promise<void> => {
    server.setSecureContext({ ...(await readPair()), minVersion: 'TLSv1.2' });
    logger.info({ certFile: options.certFile }, 'reloaded the TLS certificate');
    options.onCertificateReload?.();
  };
  let debounce: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [...new Set([dirname(options.certFile), dirname(options.keyFile)])].map(
    (directory) =>
      watch(directory, () => {
        clearTimeout(debounce);
        debounce = setTimeout(() => {
          reloadCertificate().catch((error: unknown) =>
            logger.warn(`keeping the previous TLS certificate: ${(error as Error).message}`),
          );
        }, RELOAD_DEBOUNCE_MS);
      }),
  );
  logger.info({ port }, 'validating webhook serving');

  return {
    port,
    reloadCertificate,
    async close() {
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, logger: Logger): Promise<void> {
  const path = new URL(request.url ?? '/', 'https://webhook').pathname;
  if (path !== TRENCH_WEBHOOK_PATH) {
    return reply(response, 404, {
      message: `no webhook at ${path}; the Trench webhook is ${TRENCH_WEBHOOK_PATH}`,
    });
  }
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return reply(response, 405, { message: `the webhook takes POST, not ${request.method}` });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        return reply(response, 413, { message: `the request body exceeds ${MAX_BODY_BYTES} bytes` });
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    logger.debug(`reading an admission request failed: ${(error as Error).message}`);
    response.destroy();
    return;
  }
  const answer = answerAdmissionReview(Buffer.concat(chunks).toString('utf8'));
  if (answer.httpStatus === 400) {
    logger.warn({ status: 400 }, `refused a malformed admission request: ${answer.body.message}`);
  } else {
    const { uid, allowed, status } = answer.body.response;
    logger.info({ uid, allowed, ...(status ? { reason: status.message } : {}) }, 'admission review');
  }
  reply(response, answer.httpStatus, answer.body);
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
