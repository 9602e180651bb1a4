import type { CoreV1Api, KubeConfig, V1ConfigMap, V1Status, Watch } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';

import { type Clock, sleep, systemClock } from '../core/clock.js';
import { CancelledError, UnavailableError } from '../core/errors.js';
import { DEFAULTS } from '../defaults.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { InvalidConfigError } from './errors.js';
import { namespaceOf } from './kubeconfig.js';
import type { ConfigSource } from './source.js';
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
 * The runtime configuration from one ConfigMap, watched through the Kubernetes API: list it (by
 * field selector `metadata.name=`), then watch from the list's resourceVersion. A watch the server
 * ends is resumed from the last resourceVersion seen; 410 Gone (history compacted) relists; any
 * other failure (API server restarting, connection dropped) retries with backoff. Deleting the
 * ConfigMap keeps the last configuration, as Meridio did in 2021. RBAC: `list` and `watch` on
 * `configmaps` in the namespace.
 *
 * client-node is imported when the source starts, not when this module loads: it takes a second,
 * which every process that never watches a ConfigMap would otherwise pay at each start.
 */
export function kubernetesConfigSource(options: KubernetesConfigSourceOptions): ConfigSource {
  return new KubernetesConfigSource(options);
}

/** A watch shorter than this that ended without events counts as a failure (no busy loop). */
const HEALTHY_WATCH_MS = 1000;
const MISSING_KEY = Symbol('missing data key');

/** What the source talks to the API server with, made once client-node and the credentials are in. */
interface KubernetesApi {
  readonly namespace: string;
  readonly core: CoreV1Api;
  readonly watch: Watch;
}

type WatchEnd =
  | { readonly end: 'stopped' }
  | { readonly end: 'closed' }
  | { readonly end: 'expired' }
  | { readonly end: 'failed'; readonly error: Error; readonly relist: boolean };

class KubernetesConfigSource implements ConfigSource {
  /** Undefined until the credentials are loaded when it comes from their context. */
  private namespace: string | undefined;
  private readonly name: string;
  private readonly key: string;
  private what: string;
  private readonly baseLogger: Logger;
  private logger: Logger;
  private readonly clock: Clock;
  private readonly tracker: ConfigTracker;
  private readonly backoff: Backoff;
  private readonly kubeConfig: KubeConfig | Promise<KubeConfig>;
  private api: Promise<KubernetesApi> | undefined;
  private readonly watchTimeoutSeconds: number;
  private readonly watchGraceMs: number;
  private readonly stop = new AbortController();
  private readonly running: Promise<void>;
  private resourceVersion = '';
  private closed: Promise<void> | undefined;

  constructor(options: KubernetesConfigSourceOptions) {
    const { kubeConfig } = options;
    this.kubeConfig = kubeConfig;
    this.name = options.name ?? DEFAULTS.configMapName;
    this.key = options.key ?? DEFAULTS.configMapKey;
    this.baseLogger = options.logger ?? pino({ level: 'silent' });
    this.namespace =
      options.namespace ?? (kubeConfig instanceof Promise ? undefined : namespaceOf(kubeConfig));
    this.what = this.describe();
    this.logger = this.childLogger();
    this.clock = options.clock ?? systemClock;
    this.tracker = new ConfigTracker(this.logger, this.what);
    this.backoff = new Backoff(options.backoff);
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.watchGraceMs = options.watchGraceMs ?? 30_000;
    this.running = this.run();
  }

  current(): ReturnType<ConfigSource['current']> {
    return this.tracker.current();
  }

  updates(signal?: AbortSignal): ReturnType<ConfigSource['updates']> {
    return this.tracker.updates(signal);
  }

  notices(signal?: AbortSignal): ReturnType<ConfigSource['notices']> {
    return this.tracker.notices(signal);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stop.abort(new CancelledError(`the ${this.what} source was closed`));
      await this.running;
      this.tracker.close();
    })();
    return this.closed;
  }

  private describe(): string {
    return this.namespace === undefined
      ? `ConfigMap ${this.name} (namespace from the kubeconfig)`
      : `ConfigMap ${this.namespace}/${this.name}`;
  }

  private childLogger(): Logger {
    return this.baseLogger.child({ configMap: `${this.namespace ?? '?'}/${this.name}` });
  }

  /**
   * The API clients, made on first use. When the credentials fail to load, every attempt of the run
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
        this.what = this.describe();
        this.logger = this.childLogger();
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

  private async run(): Promise<void> {
    const signal = this.stop.signal;
    let needsList = true;
    while (!signal.aborted) {
      let delay = 0;
      try {
        const api = await untilAborted(this.connect(), signal);
        if (needsList) {
          await this.list(api, signal);
          needsList = false;
        }
        const started = this.clock.now();
        let events = 0;
        const outcome = await this.watchOnce(api, signal, () => events++);
        if (outcome.end === 'stopped') return;
        if (events > 0 || this.clock.now() - started >= HEALTHY_WATCH_MS) this.backoff.reset();
        else delay = this.backoff.failure();
        if (outcome.end === 'expired') {
          this.logger.info(
            { resourceVersion: this.resourceVersion },
            `watch of ${this.what} expired (410 Gone); listing again`,
          );
          needsList = true;
        } else if (outcome.end === 'failed') {
          needsList = outcome.relist;
          this.tracker.failed(outcome.error, delay, { resourceVersion: this.resourceVersion });
        } else {
          this.logger.debug(
            { resourceVersion: this.resourceVersion },
            `watch of ${this.what} ended; resuming`,
          );
        }
      } catch (error) {
        if (signal.aborted) return;
        delay = this.backoff.failure();
        this.tracker.failed(error, delay);
      }
      if (delay > 0) await sleep(this.clock, delay, signal).catch(() => undefined);
    }
  }

  private async list(api: KubernetesApi, signal: AbortSignal): Promise<void> {
    const request = api.core.listNamespacedConfigMap({
      namespace: api.namespace,
      fieldSelector: `metadata.name=${this.name}`,
    });
    const list = await untilAborted(request, signal).catch((error: unknown) => {
      throw new UnavailableError(`listing ${this.what} failed: ${describeApiError(error)}`, { cause: error });
    });
    const resourceVersion = list.metadata?.resourceVersion ?? '';
    const configMap = list.items.find((item) => item.metadata?.name === this.name);
    if (configMap) this.acceptConfigMap(configMap);
    else this.tracker.missing({ resourceVersion });
    this.resourceVersion = resourceVersion;
  }

  /** One watch, from `this.resourceVersion`, until it ends; events are applied as they arrive. */
  private watchOnce(api: KubernetesApi, signal: AbortSignal, onEvent: () => void): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      if (signal.aborted) {
        resolve({ end: 'stopped' });
        return;
      }
      let settled = false;
      let controller: AbortController | undefined;
      // Watch has no timeout of its own: a connection that silently died would hang forever.
      const deadline = this.clock.setTimeout(
        () => {
          this.logger.debug(`watch of ${this.what} outlived its timeout; dropping it`);
          finish({ end: 'closed' });
        },
        this.watchTimeoutSeconds * 1000 + this.watchGraceMs,
      );
      const onStop = (): void => finish({ end: 'stopped' });
      signal.addEventListener('abort', onStop, { once: true });
      const finish = (end: WatchEnd): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onStop);
        this.clock.clearTimeout(deadline);
        controller?.abort();
        resolve(end);
      };

      const handleEvent = (type: string, object: unknown): void => {
        if (settled) return;
        if (type === 'ERROR') {
          const status = object as V1Status;
          if (status.code === 410) finish({ end: 'expired' });
          else {
            const error = new UnavailableError(
              `the watch of ${this.what} failed: ${status.message ?? 'no message'} (${status.code ?? '?'} ${status.reason ?? ''})`.trim(),
            );
            finish({ end: 'failed', error, relist: true });
          }
          return;
        }
        onEvent();
        const configMap = object as V1ConfigMap;
        const resourceVersion = configMap.metadata?.resourceVersion;
        if (resourceVersion) this.resourceVersion = resourceVersion;
        if (configMap.metadata?.name !== this.name) return;
        if (type === 'ADDED' || type === 'MODIFIED') this.acceptConfigMap(configMap);
        else if (type === 'DELETED') this.tracker.missing({ resourceVersion });
      };
      const handleDone = (error: unknown): void => {
        if (error === null || error === undefined) finish({ end: 'closed' });
        else if ((error as { statusCode?: unknown }).statusCode === 410) finish({ end: 'expired' });
        else {
          const cause = error instanceof Error ? error : new Error(String(error));
          finish({
            end: 'failed',
            error: new UnavailableError(`the watch of ${this.what} failed: ${cause.message}`, { cause }),
            relist: false,
          });
        }
      };
      const query: Record<string, string | number | boolean> = {
        fieldSelector: `metadata.name=${this.name}`,
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds,
      };
      if (this.resourceVersion) query.resourceVersion = this.resourceVersion;
      this.logger.debug({ resourceVersion: this.resourceVersion }, `watching ${this.what}`);
      api.watch
        .watch(
          `/api/v1/namespaces/${encodeURIComponent(api.namespace)}/configmaps`,
          query,
          handleEvent,
          handleDone,
        )
        .then((started) => {
          controller = started;
          if (settled) started.abort();
        }, handleDone);
    });
  }

  private acceptConfigMap(configMap: V1ConfigMap): void {
    const fields = { resourceVersion: configMap.metadata?.resourceVersion };
    const text = configMap.data?.[this.key];
    if (text === undefined) {
      const error = new InvalidConfigError(`${this.what} has no data key "${this.key}"`);
      this.tracker.rejectInput(MISSING_KEY, error, fields);
    } else {
      this.tracker.accept(text, fields);
    }
  }
}

/** Settles with `promise`, or rejects when `signal` aborts first (the request is left to finish). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * client-node's ApiException carries the HTTP code, and the Status as a JSON string for codes its
 * generated client does not know; for the ones it knows (401, 403) only a `Message:` line.
 */
function describeApiError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, body, message } = error as { code?: unknown; body?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  if (typeof code !== 'number' || code < 100) return text;
  let detail = /\nMessage: ([^\n]*)/.exec(text)?.[1] ?? '';
  if (typeof body === 'string') {
    try {
      detail = String((JSON.parse(body) as { message?: unknown }).message ?? body);
    } catch {
      detail = body;
    }
  }
  return `HTTP ${code}${detail ? `: ${detail}` : ''}`;
}
