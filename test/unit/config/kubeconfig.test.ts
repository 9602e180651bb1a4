import { KubeConfig } from '@kubernetes/client-node';

import { loadKubeConfig, namespaceOf } from '../../../sdk/config/index.js';

describe('loadKubeConfig and namespaceOf', () => {
  test('in-cluster credentials outside a pod are a clear error', () => {
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(() => loadKubeConfig({ inCluster: true })).toThrow(
        'cannot use in-cluster Kubernetes credentials: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (not running in a pod?)',
      );
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });

  test('the namespace comes from the current context', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'trench-a\n' }],
      currentContext: 'x',
    });
    expect(namespaceOf(kubeConfig)).toBe('trench-a');
  });
});
