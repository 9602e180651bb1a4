import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  TRENCH_WEBHOOK_PATH,
  type WebhookServer,
  startOperator,
  startWebhookServer,
} from '../../../endpoints/operator/index.js';
import type { TestApiServer } from '../../helpers/apiserver/index.js';
import { type CertificateFiles, writeSelfSignedCertificate } from './certificates.js';
import { NAMESPACE, quietLogger, startOperatorApiServer } from './harness.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/admission/', import.meta.url));

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly fingerprint: string;
}

/** One HTTPS request to the webhook, trusting only the test certificate, as the API server would with its caBundle. */
function post(
  port: number,
  ca: string,
  body: string,
  options: { method?: string; path?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? TRENCH_WEBHOOK_PATH,
        ca,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const socket = response.socket as import('node:tls').TLSSocket;
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? '',
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

interface Expected {
  readonly status: number;
  readonly allowed?: boolean;
  readonly code?: number;
  readonly message?: string;
  readonly warnings?: readonly string[];
}

const CASES: readonly (readonly [string, Expected])[] = [
  ['create-valid.json', { status: 200, allowed: true }],
  ['create-ipv6.json', { status: 200, allowed: true }],
  ['create-empty.json', { status: 200, allowed: true }],
  [
    'create-not-a-cidr.json',
    {
      status: 200,
      allowed: false,
      code: 422,
      message:
        'Trench.meridio.nordix.org "trench-a" is invalid: spec.vips[1] "20.0.0.1" is not a valid CIDR: the prefix length is missing (write e.g. 20.0.0.1/32 or 2000::1/128)',
    },
  ],
  [
    'create-host-bits.json',
    {
      status: 200,
      allowed: false,
      code: 422,
      message:
        'Trench.meridio.nordix.org "trench-a" is invalid: spec.vips[0] "10.0.0.1/24" is not a valid CIDR: host bits are set (the network is 10.0.0.0/24)',
    },
  ],
  [
    'update-duplicate.json',
    {
      status: 200,
      allowed: false,
      code: 422,
      message:
        'Trench.meridio.nordix.org "trench-a" is invalid: spec.vips[2] "2000:0:0::1/128" duplicates spec.vips[0] "2000::1/128" (both are 2000::1/128)',
    },
  ],
  [
    'update-bad-configmap-name.json',
    {
      status: 200,
      allowed: false,
      code: 422,
      message:
        'Trench.meridio.nordix.org "trench-a" is invalid: spec.configMapName: Invalid value: "Meridio_Configuration": a ConfigMap name must be a lowercase RFC 1123 subdomain of at most 253 characters (letters, digits, \'-\' and \'.\')',
    },
  ],
  ['delete.json', { status: 200, allowed: true }],
  [
    'create-noncanonical.json',
    {
      status: 200,
      allowed: true,
      warnings: ['spec.vips[0] "2000:0::1/128" is written to the ConfigMap as 2000::1/128'],
    },
  ],
  [
    'wrong-kind.json',
    {
      status: 200,
      allowed: false,
      code: 400,
      message: 'this webhook validates meridio.nordix.org Trench objects, not apps/v1 Deployment',
    },
  ],
  [
    'malformed-truncated.json.txt',
    // The rest of the sentence is V8's own JSON.parse message.
    { status: 400, code: 400, message: 'the request body is not JSON (' },
  ],
  [
    'malformed-not-a-review.json',
    {
      status: 400,
      code: 400,
      message:
        'the request body is not an admission.k8s.io/v1 AdmissionReview (apiVersion "admission.k8s.io/v1beta1", kind "AdmissionReview")',
    },
  ],
  ['malformed-no-uid.json', { status: 400, code: 400, message: 'the AdmissionReview has no request.uid' }],
];

describe('the validating webhook over real HTTPS, with AdmissionReview fixtures', () => {
  let directory: string;
  let certificate: CertificateFiles;
  let webhook: WebhookServer;
  const reloads: (() => void)[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'meridio-webhook-'));
    certificate = await writeSelfSignedCertificate(directory, 'first');
    webhook = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certFile: certificate.certFile,
      keyFile: certificate.keyFile,
      logger: quietLogger,
      onCertificateReload: () => reloads.splice(0).forEach((wake) => wake()),
    });
  });

  afterAll(async () => {
    await webhook?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test.each(CASES)('%s', async (file, expected) => {
    const text = await readFile(join(FIXTURES, file), 'utf8');
    const answer = await post(webhook.port, certificate.pem, text);
    expect(answer.status).toBe(expected.status);
    if (expected.status === 400) {
      expect(answer.body).toMatchObject({ kind: 'Status', status: 'Failure', code: 400 });
      expect(answer.body.message).toEqual(expect.stringContaining(expected.message!));
      return;
    }
    const review = JSON.parse(text) as { request: { uid: string } };
    const response = answer.body.response as Record<string, unknown>;
    expect(answer.body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(response.uid).toBe(review.request.uid);
    expect(response.allowed).toBe(expected.allowed);
    if (expected.allowed) expect(response.status).toBeUndefined();
    else
      expect(response.status).toEqual({
        code: expected.code,
        reason: expected.code === 422 ? 'Invalid' : 'BadRequest',
        message: expected.message,
      });
    expect(response.warnings).toEqual(expected.warnings);
  });

  test('only POST on the webhook path', async () => {
    const get = await post(webhook.port, certificate.pem, '', { method: 'GET' });
    expect(get.status).toBe(405);
    const elsewhere = await post(webhook.port, certificate.pem, '{}', { path: '/validate-something-else' });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.message).toBe(
      `no webhook at /validate-something-else; the Trench webhook is ${TRENCH_WEBHOOK_PATH}`,
    );
  });

  test('a renewed certificate is served to new connections without a restart', async () => {
    const before = await post(webhook.port, certificate.pem, '{}');
    expect(before.fingerprint).toBe(certificate.fingerprint);
    const reloaded = new Promise<void>((resolve) => reloads.push(resolve));
    const renewed = await writeSelfSignedCertificate(directory, 'second');
    await reloaded;
    const after = await post(webhook.port, renewed.pem, '{}');
    expect(after.fingerprint).toBe(renewed.fingerprint);
    expect(after.fingerprint).not.toBe(certificate.fingerprint);
    certificate = renewed;
  });
});

describe('the operator process serves the webhook and its probes in every replica', () => {
  let server: TestApiServer;
  let directory: string;

  beforeEach(async () => {
    server = await startOperatorApiServer();
    directory = await mkdtemp(join(tmpdir(), 'meridio-webhook-'));
  });

  afterEach(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  const probe = (port: number, path: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path, agent: false }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      })
        .on('error', reject)
        .end();
    });

  test('webhook, /healthz and /readyz answer; stop() closes them', async () => {
    const certificate = await writeSelfSignedCertificate(directory, 'operator');
    const operator = await startOperator({
      kubeConfig: server.kubeConfig(NAMESPACE),
      namespace: NAMESPACE,
      identity: 'replica-a',
      logger: quietLogger,
      leaderElection: false,
      webhook: { host: '127.0.0.1', port: 0, certFile: certificate.certFile, keyFile: certificate.keyFile },
      health: { host: '127.0.0.1', port: 0 },
    });
    const webhookPort = operator.webhook!.port;
    const healthPort = operator.health!.port;
    const review = await readFile(join(FIXTURES, 'create-host-bits.json'), 'utf8');
    const answer = await post(webhookPort, certificate.pem, review);
    expect((answer.body.response as { allowed: boolean }).allowed).toBe(false);
    expect(await probe(healthPort, '/healthz')).toEqual({ status: 200, text: 'ok\n' });
    await operator.controller()!.synced;
    expect(await probe(healthPort, '/readyz')).toEqual({ status: 200, text: 'ok\n' });

    await operator.stop();
    await expect(post(webhookPort, certificate.pem, review)).rejects.toThrow(/ECONNREFUSED/);
    await expect(probe(healthPort, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  test('a missing certificate is a clear start-up error', async () => {
    await expect(
      startOperator({
        kubeConfig: server.kubeConfig(NAMESPACE),
        namespace: NAMESPACE,
        identity: 'replica-a',
        logger: quietLogger,
        leaderElection: false,
        webhook: {
          host: '127.0.0.1',
          port: 0,
          certFile: join(directory, 'tls.crt'),
          keyFile: join(directory, 'tls.key'),
        },
      }),
    ).rejects.toThrow(`cannot read the webhook's TLS certificate ${join(directory, 'tls.crt')}`);
  });
});
