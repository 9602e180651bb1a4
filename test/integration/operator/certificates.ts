/** Self-signed serving certificates for the webhook tests, made with the openssl command (node:crypto cannot make X.509). */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pem: string;
  readonly fingerprint: string;
}

/** Writes `tls.crt` and `tls.key` into `directory`, valid for 127.0.0.1 and localhost. */
export async function writeSelfSignedCertificate(
  directory: string,
  commonName: string,
): Promise<CertificateFiles> {
  const certFile = join(directory, 'tls.crt');
  const keyFile = join(directory, 'tls.key');
  // Written beside, then renamed over the served files, as a Secret volume update swaps them.
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${keyFile}.new`,
    '-out',
    `${certFile}.new`,
    '-days',
    '1',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ];
  try {
    await run('openssl', args);
  } catch (error) {
    throw new Error(
      `the webhook tests need the openssl command to make a test certificate (apt-get install openssl): ${(error as Error).message}`,
      { cause: error },
    );
  }
  await rename(`${keyFile}.new`, keyFile);
  await rename(`${certFile}.new`, certFile);
  const pem = await readFile(certFile, 'utf8');
  return { certFile, keyFile, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}
