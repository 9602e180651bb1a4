import type { CoreV1Api, KubeConfig, V1ConfigMap, Watch } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';

import type { Clock } from '../core/clock.js';
import { CancelledError } from '../core/errors.js';
import { DEFAULTS } from '../defaults.js';
import { ListWatch, type ListWatchChange, untilAborted } from '../kube/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { InvalidConfigError } from './errors.js';
import { namespaceOf } from './kubeconfig.js';
import type { ConfigSource } from './source.js';
import { TrackedConfigSource } from './tracked-source.js';
import { ConfigTracker } from './tracker.js';

export interface KubernetesConfigSourceOptions {
  /** Credentials and API server, or their loading under way (see `loadKubeConfig`). */
  readonly kubeConfig: KubeConfig | Promise<KubeConfig>;
  /** Default: the kubeconfig context's namespace (in a pod, its own). */
  readonly namespace?: string;
  /** Default `meridio-configuration`. */
  readonly name?: string;
  /** The data key holding the YAML; default `meridio.conf`. */
  readonly key?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Delays between failed attempts (API server down, watch refused). */
  readonly backoff?: BackoffOptions;
  /** Each watch asks the API server to end it after this long, then resumes. Default 300 s. */
  readonly watchTimeoutSeconds?: number;
  /** A watch the server has not ended this long after its timeout is dropped. Default 30 s. */
  readonly watchGraceMs?: number;
}

/**
 * The runtime configuration from one ConfigMap, watched through the Kubernetes API with the shared
 * list-then-watch loop of sdk/kube: list it (by field selector `metadata.name=`), then watch from
 * the list's resourceVersion. A watch the server ends is resumed from the last resourceVersion seen;
 * 410 Gone (history compacted) relists; any other failure (API server restarting, connection
 * dropped) retries with backoff. Deleting the ConfigMap keeps the last configuration, as Meridio did
 * in 2021. RBAC: `list` and `watch` on `configmaps` in the namespace.
 *
 * client-node is imported when the source starts, not when this module loads: it takes a second,
 * which every process that never watches a ConfigMap would otherwise pay at each start.
 */
export function kubernetesConfigSource(options: KubernetesConfigSourceOptions): ConfigSource {
  return new KubernetesConfigSource(options);
}

const MISSING_KEY = Symbol('missing data key');

/** What the source talks to the API server with, made once client-node and the credentials are in. */
interface KubernetesApi {
  readonly namespace: string;
  readonly core: CoreV1Api;
  readonly watch: Watch;
}

class KubernetesConfigSource extends TrackedConfigSource {
  /** Undefined until the credentials are loaded when it comes from their context. */
  private namespace: string | undefined;
  private readonly name: string;
  private readonly key: string;
  private what: string;
  private readonly baseLogger: Logger;
  private logger: Logger;
  private readonly kubeConfig: KubeConfig | Promise<KubeConfig>;
  private api: Promise<KubernetesApi> | undefined;
  private readonly loop: ListWatch<V1ConfigMap>;
  private readonly stop = new AbortController();
  private readonly running: Promise<void>;

  constructor(options: KubernetesConfigSourceOptions) {
    const { kubeConfig } = options;
    const name = options.name ?? DEFAULTS.configMapName;
    const namespace =
      options.namespace ?? (kubeConfig instanceof Promise ? undefined : namespaceOf(kubeConfig));
    const baseLogger = options.logger ?? pino({ level: 'silent' });
    const what = describe(namespace, name);
    const logger = childLogger(baseLogger, namespace, name);
    super(new ConfigTracker(logger, what));
    this.kubeConfig = kubeConfig;
    this.name = name;
    this.namespace = namespace;
    this.key = options.key ?? DEFAULTS.configMapKey;
    this.baseLogger = baseLogger;
    this.what = what;
    this.logger = logger;
    const fieldSelector = `metadata.name=${name}`;
    this.loop = new ListWatch<V1ConfigMap>({
      what: () => this.what,
      logger: () => this.logger,
      list: async (signal) => {
        const api = await untilAborted(this.connect(), signal);
        const list = await api.core.listNamespacedConfigMap({ namespace: api.namespace, fieldSelector });
        return { resourceVersion: list.metadata?.resourceVersion ?? '', items: list.items };
      },
      // Only after a list, which made the clients.
      watch: async (query, onEvent, onDone) => {
        const api = await this.connect();
        const path = `/api/v1/namespaces/${encodeURIComponent(api.namespace)}/configmaps`;
        return api.watch.watch(path, { ...query, fieldSelector }, onEvent, onDone);
      },
      onChange: (change) => this.onChange(change),
      onSynced: (resourceVersion) => {
        if (!this.loop.get(this.name)) this.tracker.missing({ resourceVersion });
      },
      onFailure: (error, retryInMs) =>
        this.tracker.failed(error, retryInMs, { resourceVersion: this.loop.resourceVersion }),
      retryDelays: new Backoff(options.backoff),
      clock: options.clock,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      watchGraceMs: options.watchGraceMs,
    });
    this.running = this.loop.run(this.stop.signal);
  }

  protected async stopReading(): Promise<void> {
    this.stop.abort(new CancelledError(`the ${this.what} source was closed`));
    await this.running;
  }

  /**
   * The API clients, made on first use. When the credentials fail to load, every attempt of the
   * loop fails the same way, reported (and spaced) as any other failure to read the ConfigMap.
   */
  private connect(): Promise<KubernetesApi> {
    this.api ??= (async () => {
      const [{ CoreV1Api, Watch }, kubeConfig] = await Promise.all([
        import('@kubernetes/client-node'),
        this.kubeConfig,
      ]);
      if (this.namespace === undefined) {
        this.namespace = namespaceOf(kubeConfig);
        this.what = describe(this.namespace, this.name);
        this.logger = childLogger(this.baseLogger, this.namespace, this.name);
        this.tracker.identify(this.logger, this.what);
      }
      return {
        namespace: this.namespace,
        core: kubeConfig.makeApiClient(CoreV1Api),
        watch: new Watch(kubeConfig),
      };
    })();
    return this.api;
  }

  private onChange({ type, object }: ListWatchChange<V1ConfigMap>): void {
    // The field selector lets only this ConfigMap through; the check keeps a server that ignores it harmless.
    if (object.metadata?.name !== this.name) return;
    const fields = { resourceVersion: object.metadata?.resourceVersion };
    if (type === 'deleted') {
      this.tracker.missing(fields);
      return;
    }
    const text = object.data?.[this.key];
    if (text === undefined) {
      const error = new InvalidConfigError(`${this.what} has no data key "${this.key}"`);
      this.tracker.rejectInput(MISSING_KEY, error, fields);
    } else {
      this.tracker.accept(text, fields);
    }
  }
}

function describe(namespace: string | undefined, name: string): string {
  return namespace === undefined
    ? `ConfigMap ${name} (namespace from the kubeconfig)`
    : `ConfigMap ${namespace}/${name}`;
}

function childLogger(logger: Logger, namespace: string | undefined, name: string): Logger {
  return logger.child({ configMap: `${namespace ?? '?'}/${name}` });
}
