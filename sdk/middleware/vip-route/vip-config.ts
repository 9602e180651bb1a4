import type { Logger } from 'pino';

import {
  type ConfigSource,
  fileConfigSource,
  kubernetesConfigSource,
  loadKubeConfig,
} from '../../config/index.js';

export interface VipConfigSourceOptions {
  /** A local file in the `meridio.conf` format; '' for none. */
  readonly configFile: string;
  /** The ConfigMap to watch when running in a pod. */
  readonly configMapName: string;
  /** Its namespace; '' for the pod's own. */
  readonly namespace: string;
  readonly logger: Logger;
  /** Where to look for the in-cluster variables; default the process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Where a process's VIPs come from: the local file when one is named (local mode), else the ConfigMap
 * when the process runs in a pod (KUBERNETES_SERVICE_HOST is set), else nowhere — the VIPs of the
 * settings then stay as they are.
 */
export function vipConfigSource(options: VipConfigSourceOptions): ConfigSource | undefined {
  if (options.configFile !== '')
    return fileConfigSource({ path: options.configFile, logger: options.logger });
  const env = options.env ?? process.env;
  if (env.KUBERNETES_SERVICE_HOST === undefined || env.KUBERNETES_SERVICE_HOST === '') return undefined;
  return kubernetesConfigSource({
    kubeConfig: loadKubeConfig({ inCluster: true }),
    name: options.configMapName,
    ...(options.namespace === '' ? {} : { namespace: options.namespace }),
    logger: options.logger,
  });
}
