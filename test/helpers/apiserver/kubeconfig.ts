import { writeFile } from 'node:fs/promises';

import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

const NAME = 'meridio-test';

/** A client configuration for the test API server: bearer token, plain HTTP on loopback. */
export function kubeConfigFor(server: string, token: string, namespace: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    // client-node refuses plain HTTP unless TLS verification is off; the loopback server has no TLS.
    clusters: [{ name: NAME, server, skipTLSVerify: true }],
    users: [{ name: NAME, token }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace }],
    currentContext: NAME,
  });
  return kubeConfig;
}

/** The same as a kubeconfig file, for code that loads one (`$KUBECONFIG`, `--kubeconfig`). */
export async function writeKubeconfigFile(
  path: string,
  server: string,
  token: string,
  namespace: string,
): Promise<void> {
  const document = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: NAME, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: NAME, user: { token } }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace } }],
    'current-context': NAME,
  };
  await writeFile(path, stringify(document), { mode: 0o600 });
}
