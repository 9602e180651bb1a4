import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

import { type Operator, startOperator } from '../../../endpoints/operator/index.js';
import { CONFIG_MAP, type TestApiServer } from '../../helpers/apiserver/index.js';
import {
  EVENT,
  NAMESPACE,
  TRENCH,
  TrenchClient,
  confOf,
  quietLogger,
  readyOf,
  startOperatorApiServer,
  stored,
  until,
  waitForStore,
} from './harness.js';

const CM = 'meridio-configuration';

describe('the Trench controller against the loopback API server, through client-node', () => {
  let server: TestApiServer;
  let trenches: TrenchClient;
  let core: CoreV1Api;
  let operator: Operator | undefined;

  const start = async (): Promise<Operator> => {
    operator = await startOperator({
      kubeConfig: server.kubeConfig(NAMESPACE),
      namespace: NAMESPACE,
      identity: 'operator-0',
      logger: quietLogger,
      leaderElection: false,
      controller: { reconnectBackoff: { initialMs: 20, maxMs: 200 }, retry: { initialMs: 10, maxMs: 200 } },
    });
    await operator.controller()!.synced;
    return operator;
  };
  const configMapWith = (text: string, name = CM): Promise<unknown> =>
    waitForStore(server, () => (confOf(stored(server, CONFIG_MAP, name)) === text ? true : undefined));
  const readyWith = (name: string, reason: string, generation: number): Promise<unknown> =>
    waitForStore(server, () => {
      const ready = readyOf(stored(server, TRENCH, name));
      return ready?.reason === reason && ready.observedGeneration === generation ? ready : undefined;
    });

  beforeEach(async () => {
    server = await startOperatorApiServer();
    trenches = new TrenchClient(server.kubeConfig(NAMESPACE));
    core = server.kubeConfig(NAMESPACE).makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await operator?.stop();
    operator = undefined;
    await server.close();
  });

  test('a new trench gets its ConfigMap (owned, labelled, canonical VIPs), a Ready status and an event', async () => {
    await start();
    const trench = await trenches.create('trench-a', { vips: ['20.0.0.1/32', '2000:0::1/128'] });
    await configMapWith('vips: [20.0.0.1/32, 2000::1/128]\n');
    const configMap = stored(server, CONFIG_MAP, CM)!;
    expect(configMap.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'meridio.nordix.org/v1alpha1',
        kind: 'Trench',
        name: 'trench-a',
        uid: trench.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(configMap.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'meridio-operator',
      'meridio.nordix.org/trench': 'trench-a',
    });
    const ready = (await readyWith('trench-a', 'ConfigMapSynced', 1)) as { status: string; message: string };
    expect(ready).toMatchObject({ status: 'True', message: `ConfigMap ${CM} holds the trench's 2 VIPs.` });
    const created = await waitForStore(
      server,
      () => server.store.list(EVENT, NAMESPACE, (event) => event.reason === 'ConfigMapCreated')[0],
    );
    expect(created.involvedObject).toMatchObject({
      kind: 'Trench',
      name: 'trench-a',
      uid: trench.metadata.uid,
    });
  });

  test('VIPs updated → ConfigMap updated; an empty list empties it; a change that is not the VIPs writes nothing', async () => {
    await start();
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');
    await trenches.patchSpec('trench-a', { vips: ['20.0.0.1/32', '40.0.0.0/24'] });
    await configMapWith('vips: [20.0.0.1/32, 40.0.0.0/24]\n');
    await readyWith('trench-a', 'ConfigMapSynced', 2);
    await trenches.patchSpec('trench-a', { vips: [] });
    await configMapWith('vips: []\n');
    await readyWith('trench-a', 'ConfigMapSynced', 3);

    const controller = operator!.controller()!;
    const resourceVersion = stored(server, CONFIG_MAP, CM)!.metadata.resourceVersion;
    // A label is a change of the trench (an event, a reconcile) but not of what the operator writes.
    const labelled = await trenches.patchLabels('trench-a', { team: 'blue' });
    const since = server.requests.length;
    await until(() => controller.reconciledVersion('trench-a') === labelled.metadata.resourceVersion);
    const configMapWrites = server.requests
      .slice(since)
      .filter((request) => request.resource === 'configmaps' && request.verb !== 'get');
    expect(configMapWrites).toEqual([]);
    expect(stored(server, CONFIG_MAP, CM)!.metadata.resourceVersion).toBe(resourceVersion);
    // A status patch computed from a cache that had not yet seen the previous one may follow, but
    // it changes nothing: the trench is where the label left it.
    expect(stored(server, TRENCH, 'trench-a')!.metadata.resourceVersion).toBe(
      labelled.metadata.resourceVersion,
    );
  });

  test('a ConfigMap edited by hand is restored (data, extra keys, labels, owner); deleted by hand, it is re-created', async () => {
    await start();
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');

    await core.patchNamespacedConfigMap(
      {
        name: CM,
        namespace: NAMESPACE,
        body: {
          metadata: { labels: { 'meridio.nordix.org/trench': null }, ownerReferences: null },
          data: { 'meridio.conf': 'vips: [30.0.0.1/32]\n', extra: 'by hand' },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const restored = await waitForStore(server, () => {
      const configMap = stored(server, CONFIG_MAP, CM);
      return confOf(configMap) === 'vips: [20.0.0.1/32]\n' && configMap?.metadata.ownerReferences
        ? configMap
        : undefined;
    });
    expect(restored.data).toEqual({ 'meridio.conf': 'vips: [20.0.0.1/32]\n' });
    expect(restored.metadata.labels).toMatchObject({ 'meridio.nordix.org/trench': 'trench-a' });
    expect(restored.metadata.ownerReferences).toHaveLength(1);

    const uidBefore = restored.metadata.uid;
    await core.deleteNamespacedConfigMap({ name: CM, namespace: NAMESPACE });
    const recreated = await waitForStore(server, () => {
      const configMap = stored(server, CONFIG_MAP, CM);
      return configMap && configMap.metadata.uid !== uidBefore ? configMap : undefined;
    });
    expect(confOf(recreated)).toBe('vips: [20.0.0.1/32]\n');
    await waitForStore(
      server,
      () => server.store.list(EVENT, NAMESPACE, (event) => event.reason === 'ConfigMapUpdated')[0],
    );
  });

  test('a new configMapName: the new ConfigMap is created, then the old one deleted', async () => {
    await start();
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');
    await trenches.patchSpec('trench-a', { configMapName: 'trench-a-configuration' });
    await configMapWith('vips: [20.0.0.1/32]\n', 'trench-a-configuration');
    await waitForStore(server, () => (stored(server, CONFIG_MAP, CM) === undefined ? true : undefined));
  });

  test('invalid VIPs (webhook bypassed): Ready=False naming the VIP, the ConfigMap keeps the last good VIPs', async () => {
    await start();
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');
    await trenches.patchSpec('trench-a', { vips: ['20.0.0.1/32', '10.0.0.1/24'] });
    const ready = (await readyWith('trench-a', 'InvalidVips', 2)) as { status: string; message: string };
    expect(ready.status).toBe('False');
    expect(ready.message).toContain('spec.vips[1] "10.0.0.1/24" is not a valid CIDR: host bits are set');
    expect(confOf(stored(server, CONFIG_MAP, CM))).toBe('vips: [20.0.0.1/32]\n');
  });

  test('a ConfigMap controlled by something else is left alone; one without a controller is adopted', async () => {
    await core.createNamespacedConfigMap({
      namespace: NAMESPACE,
      body: {
        metadata: {
          name: 'taken',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'other', uid: 'u-1', controller: true },
          ],
        },
        data: { 'meridio.conf': 'vips: []\n' },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: NAMESPACE,
      body: { metadata: { name: CM }, data: { 'meridio.conf': 'vips: [1.1.1.1/32]\n' } },
    });
    await start();
    await trenches.create('trench-b', { vips: ['20.0.0.2/32'], configMapName: 'taken' });
    const conflict = (await readyWith('trench-b', 'ConfigMapConflict', 1)) as { message: string };
    expect(conflict.message).toContain('controlled by Deployment other');
    expect(confOf(stored(server, CONFIG_MAP, 'taken'))).toBe('vips: []\n');

    const adopter = await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');
    expect(stored(server, CONFIG_MAP, CM)!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ name: 'trench-a', uid: adopter.metadata.uid, controller: true }),
    ]);
  });

  test('API server restarted mid-way, with changes made while it was down: the operator converges', async () => {
    await start();
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');

    await server.stop();
    // While the API server is down, etcd still changes (another API server instance, a restore).
    const trench = server.store.get(TRENCH, NAMESPACE, 'trench-a');
    server.store.update(TRENCH, NAMESPACE, 'trench-a', {
      ...trench,
      spec: { vips: ['20.0.0.1/32', '2000::1/128'] },
    });
    server.store.delete(CONFIG_MAP, NAMESPACE, CM);
    await server.start();
    await configMapWith('vips: [20.0.0.1/32, 2000::1/128]\n');

    // A second outage, this time with the history compacted: the watches get 410 and relist.
    await server.stop();
    server.store.update(TRENCH, NAMESPACE, 'trench-a', {
      ...server.store.get(TRENCH, NAMESPACE, 'trench-a'),
      spec: { vips: ['2000::1/128'] },
    });
    server.compactHistory();
    await server.start();
    await configMapWith('vips: [2000::1/128]\n');
    expect(server.countRequests({ verb: 'list', resource: 'trenches' })).toBeGreaterThanOrEqual(2);
  });

  test('stop() waits for the reconcile in flight and closes every watch', async () => {
    await start();
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');
    expect(server.openWatches()).toBe(2);
    await operator!.stop();
    expect(operator!.controller()).toBeUndefined();
    await until(() => server.openWatches() === 0);
  });
});
