/**
 * The Trench controller: informers on Trenches and ConfigMaps of one namespace feed a keyed work
 * queue (key = trench name); a worker runs the pure `planTrench` on the cached objects and carries
 * out its writes. Any change of a trench, or of a ConfigMap it owns or names, reconciles that trench,
 * so a ConfigMap edited or deleted by hand is put back. A failed write is retried with backoff; a
 * periodic resync re-checks every trench in case an event was missed.
 */
import { type KubeConfig, type V1ConfigMap, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import type { BackoffOptions } from '../../sdk/config/index.js';
import { type Clock, type TimerHandle, systemClock } from '../../sdk/core/index.js';
import { describeApiError, httpStatusOf } from './api-errors.js';
import type { ClusterApi } from './cluster-api.js';
import type { EventRecorder } from './events.js';
import { type Change, Informer } from './informer.js';
import { type ConfigMapWrite, planTrench, writeFailedOutcome } from './reconcile.js';
import { statusAfter } from './status.js';
import {
  TRENCH_GROUP,
  TRENCH_PLURAL,
  TRENCH_VERSION,
  type Trench,
  configMapNameOf,
  controllerOf,
  isTrenchReference,
} from './trench.js';
import { WorkQueue } from './workqueue.js';

export interface TrenchControllerOptions {
  readonly kubeConfig: KubeConfig;
  readonly api: ClusterApi;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Delays between attempts to reach the API server (list, watch). */
  readonly reconnectBackoff?: BackoffOptions;
  /** Delays before reconciling a trench again after a failure. Default 100 ms doubling to 60 s. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Every trench is reconciled again this often, events or not; 0 turns it off. Default 10 min. */
  readonly resyncMs?: number;
  readonly watchTimeoutSeconds?: number;
}

export interface ControllerStats {
  readonly reconciles: number;
  readonly writes: number;
  readonly failures: number;
}

export interface TrenchController {
  /** Resolves when both informers have listed once (the worker starts then). */
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  stats(): ControllerStats;
  /** The trench's resourceVersion that the last completed reconcile of `name` worked from. */
  reconciledVersion(name: string): string | undefined;
  /** Stops taking work, lets the reconcile in flight finish, closes the watches. */
  stop(): Promise<void>;
}

export function startTrenchController(options: TrenchControllerOptions): TrenchController {
  return new Controller(options);
}

/** A write that lost a race with another writer or with the cache: retry after the cache catches up. */
function isStale(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === 409 || status === 404;
}

class Controller implements TrenchController {
  readonly synced: Promise<void>;
  private readonly api: ClusterApi;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly queue: WorkQueue;
  private readonly trenches: Informer<Trench>;
  private readonly configMaps: Informer<V1ConfigMap>;
  private readonly worker: Promise<void>;
  private readonly halt = new AbortController();
  private resyncTimer: TimerHandle | undefined;
  private stopped: Promise<void> | undefined;
  private counts = { reconciles: 0, writes: 0, failures: 0 };
  private readonly reconciled = new Map<string, string>();

  constructor(private readonly options: TrenchControllerOptions) {
    this.api = options.api;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ controller: 'trench', namespace: options.api.namespace });
    this.queue = new WorkQueue({
      clock: this.clock,
      initialRetryMs: options.retry?.initialMs,
      maxRetryMs: options.retry?.maxMs,
    });
    const watch = new Watch(options.kubeConfig);
    const namespace = encodeURIComponent(options.api.namespace);
    const common = {
      watch,
      clock: this.clock,
      backoff: options.reconnectBackoff,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
    };
    this.trenches = new Informer<Trench>({
      ...common,
      what: `trenches in namespace ${options.api.namespace}`,
      watchPath: `/apis/${TRENCH_GROUP}/${TRENCH_VERSION}/namespaces/${namespace}/${TRENCH_PLURAL}`,
      list: () => this.api.listTrenches(),
      onChange: (change) => this.queue.add(change.object.metadata.name!),
      logger: this.logger,
    });
    this.configMaps = new Informer<V1ConfigMap>({
      ...common,
      what: `ConfigMaps in namespace ${options.api.namespace}`,
      watchPath: `/api/v1/namespaces/${namespace}/configmaps`,
      list: () => this.api.listConfigMaps(),
      onChange: (change) => this.onConfigMapChange(change),
      logger: this.logger,
    });
    this.synced = Promise.all([this.trenches.synced, this.configMaps.synced]).then(() => undefined);
    this.trenches.start();
    this.configMaps.start();
    this.worker = this.work();
    this.scheduleResync();
  }

  hasSynced(): boolean {
    return this.trenches.hasSynced() && this.configMaps.hasSynced();
  }

  stats(): ControllerStats {
    return { ...this.counts };
  }

  reconciledVersion(name: string): string | undefined {
    return this.reconciled.get(name);
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.halt.abort();
      if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
      await this.queue.shutDown();
      await Promise.all([this.trenches.stop(), this.configMaps.stop(), this.worker]);
      await this.options.events.flush();
    })();
    return this.stopped;
  }

  /** The trenches a ConfigMap change concerns: its controller (before and after) and any trench naming it. */
  private onConfigMapChange(change: Change<V1ConfigMap>): void {
    const keys = new Set<string>();
    for (const meta of [change.object.metadata, change.previous?.metadata]) {
      const owner = controllerOf(meta);
      if (owner && isTrenchReference(owner)) keys.add(owner.name);
    }
    const name = change.object.metadata?.name;
    for (const trench of this.trenches.list()) {
      if (configMapNameOf(trench) === name) keys.add(trench.metadata.name!);
    }
    for (const key of keys) this.queue.add(key);
  }

  private scheduleResync(): void {
    const every = this.options.resyncMs ?? 600_000;
    if (every <= 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      for (const trench of this.trenches.list()) this.queue.add(trench.metadata.name!);
      this.scheduleResync();
    }, every);
  }

  private async work(): Promise<void> {
    const halted = new Promise<void>((resolve) =>
      this.halt.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await Promise.race([this.synced, halted]);
    if (this.halt.signal.aborted) return;
    this.logger.info({ trenches: this.trenches.list().length }, 'caches synced; reconciling trenches');
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        await this.reconcile(key);
        this.queue.forget(key);
      } catch (error) {
        this.counts.failures++;
        const delay = this.queue.addRateLimited(key);
        const level = isStale(error) ? 'debug' : 'warn';
        this.logger[level](
          { trench: key, retryInMs: delay, failures: this.queue.failuresOf(key) },
          `reconciling trench ${key} failed: ${describeApiError(error)}`,
        );
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcile(name: string): Promise<void> {
    const trench = this.trenches.get(name);
    // A deleted trench needs nothing: its ConfigMap goes with it by garbage collection.
    if (!trench || trench.metadata.deletionTimestamp) {
      this.reconciled.delete(name);
      return;
    }
    this.counts.reconciles++;
    const configMapName = configMapNameOf(trench);
    const configMaps = this.configMaps
      .list()
      .filter(
        (configMap) =>
          configMap.metadata?.name === configMapName ||
          controllerOf(configMap.metadata)?.uid === trench.metadata.uid,
      );
    const plan = planTrench({ trench, configMaps, now: new Date(this.clock.now()) });
    const log = this.logger.child({ trench: name, configMap: configMapName });
    for (const write of plan.writes) {
      try {
        await this.execute(write);
      } catch (error) {
        if (!isStale(error)) await this.reportFailure(trench, describeApiError(error));
        throw error;
      }
      this.counts.writes++;
      this.describeWrite(trench, write, log);
    }
    if (plan.status) {
      await this.writeStatus(trench, plan.status);
      if (plan.outcome.status !== 'True') {
        log.warn({ reason: plan.outcome.reason }, plan.outcome.message);
        this.options.events.record(trench, 'Warning', plan.outcome.reason, plan.outcome.message);
      } else {
        log.info({ reason: plan.outcome.reason }, plan.outcome.message);
      }
    }
    this.reconciled.set(name, trench.metadata.resourceVersion ?? '');
  }

  private execute(write: ConfigMapWrite): Promise<void> {
    switch (write.op) {
      case 'create':
        return this.api.createConfigMap(write.body);
      case 'patch':
        return this.api.patchConfigMap(write.name, write.patch);
      case 'delete':
        return this.api.deleteConfigMap(write.name, write.uid, write.resourceVersion);
    }
  }

  private describeWrite(trench: Trench, write: ConfigMapWrite, log: Logger): void {
    const [reason, message] =
      write.op === 'create'
        ? ['ConfigMapCreated', `Created ConfigMap ${write.name} with the trench's VIPs.`]
        : write.op === 'patch'
          ? ['ConfigMapUpdated', `Updated ConfigMap ${write.name} (${write.why}).`]
          : ['ConfigMapDeleted', `Deleted ConfigMap ${write.name}: ${write.why}.`];
    log.info({ op: write.op, configMap: write.name }, message);
    this.options.events.record(trench, 'Normal', reason, message);
  }

  private async writeStatus(trench: Trench, status: NonNullable<Trench['status']>): Promise<void> {
    try {
      await this.api.patchTrenchStatus(trench.metadata.name!, status);
      this.counts.writes++;
    } catch (error) {
      // The trench was deleted meanwhile: there is no status to write.
      if (httpStatusOf(error) === 404) return;
      throw error;
    }
  }

  /** Best effort: the failure itself is what gets retried. */
  private async reportFailure(trench: Trench, detail: string): Promise<void> {
    const status = statusAfter(trench, writeFailedOutcome(trench, detail), new Date(this.clock.now()));
    if (!status) return;
    await this.api
      .patchTrenchStatus(trench.metadata.name!, status)
      .catch((error: unknown) =>
        this.logger.debug(`reporting the failure in the trench's status failed: ${describeApiError(error)}`),
      );
  }
}
