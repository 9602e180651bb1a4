import { existsSync, readFileSync } from 'node:fs';

import type { KubeConfig } from '@kubernetes/client-node';

import { InvalidArgumentError } from '../core/errors.js';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface KubeConfigOptions {
  /** An explicit kubeconfig file. */
  readonly kubeconfigPath?: string;
  /** Use the pod's service account (token, CA, API server from the environment). */
  readonly inCluster?: boolean;
}

/**
 * The credentials to reach the API server: an explicit kubeconfig file, the pod's service account,
 * or (neither given) client-node's default order: $KUBECONFIG, ~/.kube/config, in-cluster.
 *
 * client-node takes a second to load, so it is imported here, when credentials are wanted, and not
 * by every process that reads a configuration file or only prints its help. In-cluster credentials
 * outside a pod throw at once, as before the import; a file that cannot be read rejects.
 */
export function loadKubeConfig(options: KubeConfigOptions = {}): Promise<KubeConfig> {
  if (options.inCluster && !(process.env.KUBERNETES_SERVICE_HOST && process.env.KUBERNETES_SERVICE_PORT)) {
    throw new InvalidArgumentError(
      'cannot use in-cluster Kubernetes credentials: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)',
    );
  }
  return loadKubeConfigFrom(options);
}

async function loadKubeConfigFrom(options: KubeConfigOptions): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  try {
    if (options.kubeconfigPath !== undefined) kubeConfig.loadFromFile(options.kubeconfigPath);
    else if (options.inCluster) kubeConfig.loadFromCluster();
    else kubeConfig.loadFromDefault();
  } catch (error) {
    const what =
      options.kubeconfigPath ??
      (options.inCluster ? 'the in-cluster service account' : 'the default kubeconfig');
    throw new InvalidArgumentError(`cannot load Kubernetes credentials from ${what}: ${String(error)}`, {
      cause: error,
    });
  }
  if (kubeConfig.getCurrentCluster() === null) {
    throw new InvalidArgumentError('the kubeconfig has no current cluster; set its current-context');
  }
  return kubeConfig;
}

/**
 * The namespace to watch when none is configured: the current context's namespace (in-cluster,
 * the pod's own), else the service account's namespace file, else `default`.
 */
export function namespaceOf(kubeConfig: KubeConfig): string {
  const fromContext = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace?.trim();
  if (fromContext) return fromContext;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  return 'default';
}
