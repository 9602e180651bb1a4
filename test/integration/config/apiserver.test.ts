import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';

import { CONFIG_MAP, type TestApiServer, startTestApiServer } from '../../helpers/apiserver/index.js';

/** Events of one client-node Watch, read in order. */
class WatchRecorder {
  readonly events: { type: string; object: V1ConfigMap & { code?: number } }[] = [];
  done: Promise<unknown>;
  private wake: (() => void) | undefined;
  private finish!: (error: unknown) => void;
  controller: AbortController | undefined;

  constructor() {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  async start(kubeConfig: KubeConfig, path: string, query: Record<string, string | boolean>): Promise<this> {
    this.controller = await new Watch(kubeConfig).watch(
      path,
      query,
      (type, object) => {
        this.events.push({ type, object: object as V1ConfigMap });
        this.wake?.();
      },
      (error) => this.finish(error),
    );
    return this;
  }

  async next(count: number): Promise<{ type: string; object: V1ConfigMap & { code?: number } }[]> {
    while (this.events.length < count) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.events.slice(0, count);
  }
}

const configMap = (
  name: string,
  data: Record<string, string>,
  labels?: Record<string, string>,
): V1ConfigMap => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

describe('the loopback test API server, through @kubernetes/client-node', () => {
  let server: TestApiServer;
  let core: CoreV1Api;

  beforeEach(async () => {
    server = await startTestApiServer();
    core = server.kubeConfig().makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await server.close();
  });

  test('create, get, list with a field selector, replace, merge patch, JSON patch and delete a ConfigMap', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'ns',
      body: configMap('a', { k: '1' }),
    });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.namespace).toBe('ns');
    await core.createNamespacedConfigMap({ namespace: 'ns', body: configMap('b', { k: '2' }) });
    await core.createNamespacedConfigMap({ namespace: 'other', body: configMap('a', { k: '3' }) });

    const read = await core.readNamespacedConfigMap({ name: 'a', namespace: 'ns' });
    expect(read.data).toEqual({ k: '1' });
    const list = await core.listNamespacedConfigMap({ namespace: 'ns', fieldSelector: 'metadata.name=a' });
    expect(list.items.map((item) => item.data)).toEqual([{ k: '1' }]);
    expect(Number(list.metadata?.resourceVersion)).toBe(Number(server.store.resourceVersion));
    expect((await core.listConfigMapForAllNamespaces({})).items).toHaveLength(3);

    const replaced = await core.replaceNamespacedConfigMap({
      name: 'a',
      namespace: 'ns',
      body: { ...read, data: { k: 'x' } },
    });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
      Number(read.metadata?.resourceVersion),
    );
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);

    const merged = await core.patchNamespacedConfigMap(
      { name: 'a', namespace: 'ns', body: { data: { extra: 'y' }, metadata: { labels: { l: 'v' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ k: 'x', extra: 'y' });
    const jsonPatched = await core.patchNamespacedConfigMap(
      {
        name: 'a',
        namespace: 'ns',
        body: [
          { op: 'remove', path: '/data/extra' },
          { op: 'add', path: '/data/z', value: 'w' },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.data).toEqual({ k: 'x', z: 'w' });
    expect(jsonPatched.metadata?.labels).toEqual({ l: 'v' });

    const status = await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'ns' });
    expect(status.status).toBe('Success');
    await expect(core.readNamespacedConfigMap({ name: 'a', namespace: 'ns' })).rejects.toMatchObject({
      code: 404,
    });
    expect(server.countRequests({ verb: 'patch', resource: 'configmaps', name: 'a' })).toBe(2);
  });

  test('errors are Kubernetes Status objects: 404, 409 AlreadyExists, 409 Conflict on a stale update, 422, 401', async () => {
    await core.createNamespacedConfigMap({ namespace: 'ns', body: configMap('a', { k: '1' }) });
    const duplicate = await core
      .createNamespacedConfigMap({ namespace: 'ns', body: configMap('a', {}) })
      .catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(ApiException);
    expect(duplicate).toMatchObject({ code: 409 });
    expect(JSON.parse((duplicate as ApiException<string>).body)).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      message: 'configmaps "a" already exists',
    });

    const stale = await core.readNamespacedConfigMap({ name: 'a', namespace: 'ns' });
    await core.replaceNamespacedConfigMap({
      name: 'a',
      namespace: 'ns',
      body: { ...stale, data: { k: '2' } },
    });
    const conflict = await core
      .replaceNamespacedConfigMap({ name: 'a', namespace: 'ns', body: { ...stale, data: { k: '3' } } })
      .catch((e: unknown) => e as ApiException<string>);
    expect(conflict).toMatchObject({ code: 409 });
    expect(JSON.parse((conflict as ApiException<string>).body).reason).toBe('Conflict');
    expect((await core.readNamespacedConfigMap({ name: 'a', namespace: 'ns' })).data).toEqual({ k: '2' });

    await expect(
      core.createNamespacedConfigMap({ namespace: 'ns', body: configMap('Not_Valid', {}) }),
    ).rejects.toMatchObject({ code: 422 });
    await expect(core.deleteNamespacedConfigMap({ name: 'missing', namespace: 'ns' })).rejects.toMatchObject({
      code: 404,
    });
    const intruder = new KubeConfig();
    intruder.loadFromOptions({
      clusters: [{ name: 'c', server: server.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(
      intruder.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'ns' }),
    ).rejects.toMatchObject({ code: 401 });
  });

  test('an update that changes nothing keeps the resourceVersion and notifies no watch', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'ns',
      body: configMap('a', { k: '1' }),
    });
    const same = await core.replaceNamespacedConfigMap({ name: 'a', namespace: 'ns', body: created });
    expect(same.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(server.store.historyFrom(Number(created.metadata?.resourceVersion))).toEqual({
      kind: 'events',
      events: [],
    });
  });

  test('watch: current state as ADDED, then MODIFIED and DELETED, filtered by name and by label', async () => {
    await core.createNamespacedConfigMap({ namespace: 'ns', body: configMap('a', { k: '1' }) });
    await core.createNamespacedConfigMap({ namespace: 'ns', body: configMap('b', { k: '1' }, { app: 'x' }) });
    const byName = await new WatchRecorder().start(server.kubeConfig(), '/api/v1/namespaces/ns/configmaps', {
      fieldSelector: 'metadata.name=a',
    });
    const byLabel = await new WatchRecorder().start(server.kubeConfig(), '/api/v1/namespaces/ns/configmaps', {
      labelSelector: 'app in (x, y)',
    });
    await server.waitForRequest(
      (request) => request.verb === 'watch' && request.query.labelSelector !== undefined,
      0,
    );
    await core.patchNamespacedConfigMap(
      { name: 'a', namespace: 'ns', body: { data: { k: '2' }, metadata: { labels: { app: 'y' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedConfigMap(
      { name: 'b', namespace: 'ns', body: { metadata: { labels: { app: 'z' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'ns' });

    const nameEvents = await byName.next(3);
    expect(
      nameEvents.map((event) => [event.type, event.object.metadata?.name, event.object.data?.k]),
    ).toEqual([
      ['ADDED', 'a', '1'],
      ['MODIFIED', 'a', '2'],
      ['DELETED', 'a', '2'],
    ]);
    const labelEvents = await byLabel.next(4);
    // a starts matching (ADDED), b stops matching (DELETED), then a is deleted.
    expect(labelEvents.map((event) => [event.type, event.object.metadata?.name])).toEqual([
      ['ADDED', 'b'],
      ['ADDED', 'a'],
      ['DELETED', 'b'],
      ['DELETED', 'a'],
    ]);
    const rvs = nameEvents.map((event) => Number(event.object.metadata?.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
    byName.controller?.abort();
    byLabel.controller?.abort();
  });

  test('watch from a resourceVersion replays what happened since; a compacted one gets a 410 ERROR event', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: 'ns', body: configMap('a', { k: '1' }) });
    await core.replaceNamespacedConfigMap({
      name: 'a',
      namespace: 'ns',
      body: { ...first, data: { k: '2' } },
    });
    const resumed = await new WatchRecorder().start(server.kubeConfig(), '/api/v1/namespaces/ns/configmaps', {
      resourceVersion: first.metadata!.resourceVersion!,
    });
    expect((await resumed.next(1)).map((event) => [event.type, event.object.data?.k])).toEqual([
      ['MODIFIED', '2'],
    ]);
    resumed.controller?.abort();

    server.compactHistory();
    const expired = await new WatchRecorder().start(server.kubeConfig(), '/api/v1/namespaces/ns/configmaps', {
      resourceVersion: first.metadata!.resourceVersion!,
    });
    const [error] = await expired.next(1);
    expect(error!.type).toBe('ERROR');
    expect(error!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(await expired.done).toBeNull();

    const tooNew = await new WatchRecorder().start(server.kubeConfig(), '/api/v1/namespaces/ns/configmaps', {
      resourceVersion: String(server.store.resourceVersion + 10),
    });
    expect((await tooNew.next(1))[0]!.object).toMatchObject({ code: 504 });
  });

  test('controls: forced 410 (event and HTTP status), closing watches cleanly, bookmarks, timeoutSeconds', async () => {
    server.failNextWatches(1, 'event');
    server.failNextWatches(1, 'status');
    const asEvent = await new WatchRecorder().start(
      server.kubeConfig(),
      '/api/v1/namespaces/ns/configmaps',
      {},
    );
    expect((await asEvent.next(1))[0]!.object).toMatchObject({ code: 410 });
    const asStatus = await new WatchRecorder().start(
      server.kubeConfig(),
      '/api/v1/namespaces/ns/configmaps',
      {},
    );
    expect(await asStatus.done).toMatchObject({ statusCode: 410 });

    const open = await new WatchRecorder().start(server.kubeConfig(), '/api/v1/namespaces/ns/configmaps', {
      allowWatchBookmarks: true,
    });
    await server.waitForRequest(
      (request) => request.verb === 'watch' && request.query.allowWatchBookmarks === 'true',
      0,
    );
    server.sendBookmarks();
    expect((await open.next(1))[0]).toMatchObject({
      type: 'BOOKMARK',
      object: { metadata: { resourceVersion: String(server.store.resourceVersion) } },
    });
    expect(server.openWatches()).toBe(1);
    expect(server.closeAllWatches()).toBe(1);
    expect(await open.done).toBeNull();

    const timed = await new WatchRecorder().start(server.kubeConfig(), '/api/v1/namespaces/ns/configmaps', {
      timeoutSeconds: '1',
    });
    expect(await timed.done).toBeNull();
  });

  test('stop, start and restart on the same port, keeping or dropping the state', async () => {
    await core.createNamespacedConfigMap({ namespace: 'ns', body: configMap('a', { k: '1' }) });
    const port = server.port;
    const watch = await new WatchRecorder().start(
      server.kubeConfig(),
      '/api/v1/namespaces/ns/configmaps',
      {},
    );
    await watch.next(1);
    await server.stop();
    // A crash, not a clean end: the client sees the chunked stream cut short.
    expect(await watch.done).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    await expect(core.listNamespacedConfigMap({ namespace: 'ns' })).rejects.toThrow();
    await server.start();
    expect(server.port).toBe(port);
    expect((await core.listNamespacedConfigMap({ namespace: 'ns' })).items).toHaveLength(1);

    const before = server.store.resourceVersion;
    await server.restart({ keepState: false });
    expect(server.port).toBe(port);
    expect((await core.listNamespacedConfigMap({ namespace: 'ns' })).items).toHaveLength(0);
    expect(server.store.historyFrom(before)).toMatchObject({ kind: 'expired' });
  });

  test('serves other kinds: Leases, and a CRD with a status subresource through KubernetesObjectApi', async () => {
    const trench = {
      group: 'meridio.nordix.org',
      version: 'v1alpha1',
      kind: 'Trench',
      plural: 'trenches',
      namespaced: true,
      statusSubresource: true,
    };
    await server.close();
    server = await startTestApiServer({ kinds: [CONFIG_MAP, trench] });
    const leases = server.kubeConfig().makeApiClient(CoordinationV1Api);
    await expect(leases.listNamespacedLease({ namespace: 'ns' })).rejects.toMatchObject({ code: 404 });

    const objects = KubernetesObjectApi.makeApiClient(server.kubeConfig());
    const created = await objects.create({
      apiVersion: 'meridio.nordix.org/v1alpha1',
      kind: 'Trench',
      metadata: { name: 't', namespace: 'ns' },
      spec: { vips: ['20.0.0.1/32'] },
      status: { ignored: true },
    } as never);
    expect((created as { status?: unknown }).status).toBeUndefined();
    const statusPath = '/apis/meridio.nordix.org/v1alpha1/namespaces/ns/trenches/t/status';
    const response = await fetch(`${server.url}${statusPath}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
        spec: { vips: [] },
      }),
    });
    expect(response.status).toBe(200);
    const read = (await objects.read({
      apiVersion: 'meridio.nordix.org/v1alpha1',
      kind: 'Trench',
      metadata: { name: 't', namespace: 'ns' },
    })) as unknown as {
      spec: unknown;
      status: unknown;
      metadata: { generation: number };
    };
    expect(read.spec).toEqual({ vips: ['20.0.0.1/32'] });
    expect(read.status).toEqual({ conditions: [{ type: 'Ready', status: 'True' }] });
    expect(read.metadata.generation).toBe(1);
  });

  test('a kubeconfig file for it loads with KubeConfig.loadFromFile', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'meridio-kubeconfig-'));
    try {
      const path = join(directory, 'config');
      await server.writeKubeconfig(path, 'ns');
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(path);
      await kubeConfig
        .makeApiClient(CoreV1Api)
        .createNamespacedConfigMap({ namespace: 'ns', body: configMap('a', {}) });
      expect(server.store.get(CONFIG_MAP, 'ns', 'a').metadata.name).toBe('a');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
