import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

import {
  type ConfigSource,
  type KubernetesConfigSourceOptions,
  kubernetesConfigSource,
  loadKubeConfig,
} from '../../../sdk/config/index.js';
import { CONFIG_MAP, type TestApiServer, startTestApiServer } from '../../helpers/apiserver/index.js';
import { SourceReader, capturingLogger, until } from './readers.js';

const NAMESPACE = 'trench-a';
const NAME = 'meridio-configuration';

describe('kubernetesConfigSource against the loopback API server, through client-node', () => {
  let server: TestApiServer;
  let core: CoreV1Api;
  const sources: ConfigSource[] = [];

  const open = (options: Partial<KubernetesConfigSourceOptions> = {}): SourceReader => {
    const source = kubernetesConfigSource({
      kubeConfig: server.kubeConfig(NAMESPACE),
      namespace: NAMESPACE,
      backoff: { initialMs: 20, maxMs: 200 },
      ...options,
    });
    sources.push(source);
    return new SourceReader(source);
  };
  const conf = (text: string): Record<string, string> => ({ 'meridio.conf': text });
  const create = (data: Record<string, string>): Promise<unknown> =>
    core.createNamespacedConfigMap({ namespace: NAMESPACE, body: { metadata: { name: NAME }, data } });
  const setData = (data: Record<string, string> | null): Promise<unknown> =>
    core.patchNamespacedConfigMap(
      { name: NAME, namespace: NAMESPACE, body: [{ op: 'replace', path: '/data', value: data }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  const setVips = (vips: string): Promise<unknown> =>
    core.patchNamespacedConfigMap(
      { name: NAME, namespace: NAMESPACE, body: { data: conf(`vips: [${vips}]`) } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  const resourceVersion = (): string =>
    server.store.get(CONFIG_MAP, NAMESPACE, NAME).metadata.resourceVersion!;
  const watchFrom = (rv: string, since: number): Promise<unknown> =>
    server.waitForRequest((r) => r.verb === 'watch' && r.query.resourceVersion === rv, since);

  beforeEach(async () => {
    server = await startTestApiServer();
    core = server.kubeConfig(NAMESPACE).makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await Promise.all(sources.splice(0).map((source) => source.close()));
    await server.close();
  });

  test('add, update, delete (the VIPs stay), re-create: the right differences each time', async () => {
    const reader = open();
    expect((await reader.nextNotice('absent')).message).toBe(
      `ConfigMap ${NAMESPACE}/${NAME} does not exist yet; no configuration until it is created`,
    );
    expect(reader.source.current()).toBeUndefined();

    await create(conf('vips: [20.0.0.1/32]'));
    expect(await reader.nextUpdate()).toEqual({ vips: ['20.0.0.1/32'], added: ['20.0.0.1/32'], removed: [] });

    await setVips('20.0.0.1/32, 2000::1/128');
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.1/32', '2000::1/128'],
      added: ['2000::1/128'],
      removed: [],
    });

    await setVips('2000:0::1/128');
    expect(await reader.nextUpdate()).toEqual({ vips: ['2000::1/128'], added: [], removed: ['20.0.0.1/32'] });

    await core.deleteNamespacedConfigMap({ name: NAME, namespace: NAMESPACE });
    expect((await reader.nextNotice('deleted')).message).toBe(
      `ConfigMap ${NAMESPACE}/${NAME} was deleted; the last configuration stays in force`,
    );
    expect(reader.source.current()?.vips.map((vip) => vip.cidr)).toEqual(['2000::1/128']);

    await create(conf('vips: []'));
    expect(await reader.nextUpdate()).toEqual({ vips: [], added: [], removed: ['2000::1/128'] });
  });

  test('invalid data is rejected as a whole, once, and the last valid configuration stays', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const { logger, lines } = capturingLogger();
    const reader = open({ logger });
    expect(await reader.nextUpdate()).toEqual({ vips: ['20.0.0.1/32'], added: ['20.0.0.1/32'], removed: [] });

    const invalid: [Record<string, string>, string][] = [
      [
        conf('vips: [20.0.0.1/32, 20.0.0.2/24]'),
        'vips[1] "20.0.0.2/24" is not a valid CIDR: host bits are set',
      ],
      [conf('vips: [20.0.0.1/32'), 'meridio.conf is not valid YAML'],
      [conf('vips: []\nflows: []'), 'meridio.conf has an unknown key "flows"'],
      [
        conf('vips: [2000::1/128, 2000:0::1/128]'),
        'vips[1] "2000:0::1/128" duplicates vips[0] "2000::1/128"',
      ],
      [conf(''), 'meridio.conf is empty'],
      [{ other: 'x' }, `ConfigMap ${NAMESPACE}/${NAME} has no data key "meridio.conf"`],
    ];
    for (const [data, reason] of invalid) {
      await setData(data);
      const notice = await reader.nextNotice('rejected');
      expect(notice.error.message).toContain(reason);
      expect(notice.message).toContain(
        `configuration from ConfigMap ${NAMESPACE}/${NAME} rejected (the last valid one stays): `,
      );
      expect(reader.source.current()?.vips.map((vip) => vip.cidr)).toEqual(['20.0.0.1/32']);
    }
    // The same problem again (still no data key) is not news; the next rejection is the next problem.
    await setData(null);
    await setData(conf('vips: 20.0.0.1/32'));
    expect((await reader.nextNotice('rejected')).error.message).toBe(
      '"vips" in meridio.conf must be a list of CIDRs, not the string "20.0.0.1/32"',
    );
    // One warning line per rejected input, naming the problem; the ConfigMap and resourceVersion as fields.
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => line.reason)).toEqual([
      ...invalid.map(([, reason]) => expect.stringContaining(reason)),
      expect.stringContaining('must be a list'),
    ]);
    expect(warnings[0]).toMatchObject({
      configMap: `${NAMESPACE}/${NAME}`,
      resourceVersion: expect.any(String),
    });
    await setVips('20.0.0.1/32, 20.0.0.2/32');
    // The difference is to the last valid configuration; nothing was emitted for the rejected ones.
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.1/32', '20.0.0.2/32'],
      added: ['20.0.0.2/32'],
      removed: [],
    });
  });

  test('a watch the server ends is resumed from the last resourceVersion, without listing again', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const reader = open();
    await reader.nextUpdate();
    await watchFrom(resourceVersion(), 0);
    const mark = server.requests.length;
    expect(server.closeAllWatches()).toBe(1);
    await setVips('20.0.0.2/32');
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.2/32'],
      added: ['20.0.0.2/32'],
      removed: ['20.0.0.1/32'],
    });
    // A sentinel change: had the resumed watch replayed anything twice, it would come before this.
    await setVips('20.0.0.3/32');
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.3/32'],
      added: ['20.0.0.3/32'],
      removed: ['20.0.0.2/32'],
    });
    expect(server.countRequests({ verb: 'list' })).toBe(1);
    expect(server.requests.slice(mark).filter((r) => r.verb === 'watch').length).toBeGreaterThanOrEqual(1);
  });

  test.each(['event', 'status'] as const)(
    '410 Gone (as an ERROR %s) relists; no event is lost or repeated',
    async (as) => {
      await create(conf('vips: [20.0.0.1/32]'));
      const reader = open();
      await reader.nextUpdate();
      await watchFrom(resourceVersion(), 0);
      server.failNextWatches(1, as);
      server.closeAllWatches();
      await setVips('20.0.0.1/32, 20.0.0.2/32');
      expect(await reader.nextUpdate()).toEqual({
        vips: ['20.0.0.1/32', '20.0.0.2/32'],
        added: ['20.0.0.2/32'],
        removed: [],
      });
      await setVips('20.0.0.2/32');
      expect(await reader.nextUpdate()).toEqual({
        vips: ['20.0.0.2/32'],
        added: [],
        removed: ['20.0.0.1/32'],
      });
      expect(server.countRequests({ verb: 'list' })).toBe(2);
    },
  );

  test('changes made while the API server was down and its history was compacted arrive after the relist', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const reader = open();
    await reader.nextUpdate();
    await watchFrom(resourceVersion(), 0);
    await server.stop();
    server.store.patch(
      CONFIG_MAP,
      NAMESPACE,
      NAME,
      { data: conf('vips: [20.0.0.9/32]') },
      'application/merge-patch+json',
    );
    server.compactHistory();
    await reader.nextNotice('unavailable');
    await server.start();
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.9/32'],
      added: ['20.0.0.9/32'],
      removed: ['20.0.0.1/32'],
    });
    expect(server.countRequests({ verb: 'list' })).toBe(2);
  });

  test('an API-server restart keeping its state: reconnect with backoff, resume from the resourceVersion', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const reader = open();
    await reader.nextUpdate();
    const seen = resourceVersion();
    await watchFrom(seen, 0);
    await server.stop();
    const unavailable = await reader.nextNotice('unavailable');
    expect(unavailable.message).toMatch(
      new RegExp(`^cannot read ConfigMap ${NAMESPACE}/${NAME}: the watch of .* failed: `),
    );
    // Written while the server is down: delivered from the history when the watch resumes.
    server.store.patch(
      CONFIG_MAP,
      NAMESPACE,
      NAME,
      { data: conf('vips: [2000::1/128]') },
      'application/merge-patch+json',
    );
    const mark = server.requests.length;
    await server.start();
    expect(await reader.nextUpdate()).toEqual({
      vips: ['2000::1/128'],
      added: ['2000::1/128'],
      removed: ['20.0.0.1/32'],
    });
    await watchFrom(seen, mark);
    expect(server.countRequests({ verb: 'list' })).toBe(1);
    await setVips('2000::2/128');
    expect(await reader.nextUpdate()).toEqual({
      vips: ['2000::2/128'],
      added: ['2000::2/128'],
      removed: ['2000::1/128'],
    });
  });

  test('an API-server restart that lost its state: relist, the ConfigMap is gone, the VIPs stay until a new one', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const reader = open();
    await reader.nextUpdate();
    await watchFrom(resourceVersion(), 0);
    await server.restart({ keepState: false });
    await reader.nextNotice('deleted');
    expect(reader.source.current()?.vips.map((vip) => vip.cidr)).toEqual(['20.0.0.1/32']);
    await create(conf('vips: [20.0.0.1/32, 20.0.0.5/32]'));
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.1/32', '20.0.0.5/32'],
      added: ['20.0.0.5/32'],
      removed: [],
    });
  });

  test('the API server is down at start: retried with backoff until it answers', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    await server.stop();
    const reader = open();
    const first = await reader.nextNotice('unavailable');
    expect(first.message).toMatch(
      /^cannot read ConfigMap trench-a\/meridio-configuration: listing .* failed: .*; retrying in 0 ms$/,
    );
    const second = await reader.nextNotice('unavailable');
    expect(second.retryInMs).toBeGreaterThanOrEqual(10);
    await server.start();
    expect(await reader.nextUpdate()).toEqual({ vips: ['20.0.0.1/32'], added: ['20.0.0.1/32'], removed: [] });
  });

  test('close while the API server is down (the source waiting to retry) ends at once', async () => {
    await server.stop();
    const reader = open({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await reader.nextNotice('unavailable');
    expect((await reader.nextNotice('unavailable')).retryInMs).toBeGreaterThanOrEqual(30_000);
    await reader.source.close();
    expect(await reader.updatesEnded()).toBe(true);
  });

  test('wrong credentials are reported with the HTTP status', async () => {
    const kubeConfig = server.kubeConfig(NAMESPACE);
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: server.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-the-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: NAMESPACE }],
      currentContext: 'x',
    });
    const reader = open({ kubeConfig });
    expect((await reader.nextNotice('unavailable')).message).toContain('HTTP 401: Unauthorized');
  });

  test('a watch the server never ends is dropped after its timeout and resumed', async () => {
    await server.close();
    server = await startTestApiServer({ ignoreWatchTimeouts: true });
    core = server.kubeConfig(NAMESPACE).makeApiClient(CoreV1Api);
    await create(conf('vips: [20.0.0.1/32]'));
    const reader = open({ watchTimeoutSeconds: 1, watchGraceMs: 50 });
    await reader.nextUpdate();
    const rv = resourceVersion();
    const first = await watchFrom(rv, 0);
    await server.waitForRequest(
      (r) => r.verb === 'watch' && r.query.resourceVersion === rv && r !== first,
      0,
    );
    await until(() => server.openWatches() === 1);
    await setVips('20.0.0.2/32');
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.2/32'],
      added: ['20.0.0.2/32'],
      removed: ['20.0.0.1/32'],
    });
  });

  test('credentials from a kubeconfig file ($KUBECONFIG or explicit), namespace from its context', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'meridio-config-'));
    const saved = process.env.KUBECONFIG;
    try {
      const path = join(directory, 'kubeconfig');
      await server.writeKubeconfig(path, NAMESPACE);
      await create(conf('vips: [20.0.0.1/32]'));
      const explicit = open({ kubeConfig: loadKubeConfig({ kubeconfigPath: path }), namespace: undefined });
      expect((await explicit.nextUpdate()).vips).toEqual(['20.0.0.1/32']);
      process.env.KUBECONFIG = path;
      const fromDefault = open({ kubeConfig: loadKubeConfig(), namespace: undefined });
      expect((await fromDefault.nextUpdate()).vips).toEqual(['20.0.0.1/32']);
      await expect(loadKubeConfig({ kubeconfigPath: join(directory, 'missing') })).rejects.toThrow(
        /^cannot load Kubernetes credentials from .*missing: /,
      );
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      await rm(directory, { recursive: true, force: true });
    }
  });

  test('credentials still loading: the namespace of their context names the ConfigMap in every line', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const { logger, lines } = capturingLogger();
    const reader = open({
      kubeConfig: Promise.resolve(server.kubeConfig(NAMESPACE)),
      namespace: undefined,
      logger,
    });
    expect((await reader.nextUpdate()).vips).toEqual(['20.0.0.1/32']);
    const accepted = lines.find((line) => line.msg.includes('accepted'));
    expect(accepted).toMatchObject({ configMap: `${NAMESPACE}/${NAME}` });
    expect(accepted?.msg).toContain(`ConfigMap ${NAMESPACE}/${NAME}`);
  });

  test('credentials that fail to load make the source unavailable, with the reason', async () => {
    const missing = join(tmpdir(), `meridio-missing-${process.pid}`, 'kubeconfig');
    const reader = open({ kubeConfig: loadKubeConfig({ kubeconfigPath: missing }), namespace: undefined });
    const notice = await reader.nextNotice('unavailable');
    expect(notice.message).toContain(`cannot load Kubernetes credentials from ${missing}`);
    // Reported, and spaced, as any failure to read: the first retry is at once, the next after a delay.
    expect((await reader.nextNotice('unavailable')).retryInMs).toBeGreaterThan(0);
    expect(reader.source.current()).toBeUndefined();
  });

  test('close ends every iteration and the watch', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const reader = open();
    await reader.nextUpdate();
    await watchFrom(resourceVersion(), 0);
    await reader.source.close();
    expect(await reader.updatesEnded()).toBe(true);
    expect(await reader.noticesEnded()).toBe(true);
    await until(() => server.openWatches() === 0);
    const requests = server.requests.length;
    await setVips('20.0.0.2/32');
    expect(server.requests.length).toBe(requests + 1);
  });

  test('two subscribers each get the whole configuration first, then the same differences', async () => {
    await create(conf('vips: [20.0.0.1/32]'));
    const reader = open();
    await reader.nextUpdate();
    const late = new SourceReader(reader.source);
    expect(await late.nextUpdate()).toEqual({ vips: ['20.0.0.1/32'], added: ['20.0.0.1/32'], removed: [] });
    await setVips('20.0.0.2/32');
    const expected = { vips: ['20.0.0.2/32'], added: ['20.0.0.2/32'], removed: ['20.0.0.1/32'] };
    expect(await reader.nextUpdate()).toEqual(expected);
    expect(await late.nextUpdate()).toEqual(expected);
  });
});
