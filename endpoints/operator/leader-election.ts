/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's algorithm: a candidate
 * takes the lease when it is free or when its holder has not renewed it for `leaseDuration`, timed
 * by the candidate's own clock from when it last saw the record change (so clocks need not agree);
 * the leader renews every `retryPeriod` and steps down when it could not renew for `renewDeadline`
 * (shorter than the lease, so it stops before anyone else may start). Every write is conditional on
 * the lease's resourceVersion, so two candidates cannot both win. Stopping releases the lease, so a
 * replacement takes over at once instead of after the lease expires.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import type { Logger } from 'pino';

import { type Clock, InvalidArgumentError, sleep, systemClock } from '../../sdk/core/index.js';
import { describeApiError, httpStatusOf } from './api-errors.js';

export interface LeaderElectionOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly leaseName: string;
  /** Unique per replica (the pod name plus a random suffix). */
  readonly identity: string;
  /** Default 15 s; whole seconds, as the Lease stores it. */
  readonly leaseDurationMs?: number;
  /** Default 10 s; must be shorter than the lease duration. */
  readonly renewDeadlineMs?: number;
  /** Default 2 s. */
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  readonly logger: Logger;
}

export interface Leadership {
  /** Starts the leader's work; `lost` aborts when leadership ends. */
  onStartedLeading(lost: AbortSignal): void;
  /** Stops the leader's work; the lease is renewed by nobody until this resolves and is released after. */
  onStoppedLeading(): Promise<void>;
}

/** A Lease's times are `MicroTime`: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private leading = false;
  /** The last lease record seen, and when (our clock) it was first seen. */
  private observed: { key: string; atMs: number } | undefined;
  /** Our last successful write: what a renewal or the release replaces. */
  private ownLease: V1Lease | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ lease: `${options.namespace}/${options.leaseName}` });
    this.leaseDurationSeconds = Math.max(1, Math.round((options.leaseDurationMs ?? 15_000) / 1000));
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationSeconds * 1000) {
      throw new InvalidArgumentError(
        `the renew deadline (${this.renewDeadlineMs} ms) must be shorter than the lease duration (${this.leaseDurationSeconds} s)`,
      );
    }
    if (this.retryPeriodMs >= this.renewDeadlineMs) {
      throw new InvalidArgumentError(
        `the retry period (${this.retryPeriodMs} ms) must be shorter than the renew deadline (${this.renewDeadlineMs} ms)`,
      );
    }
  }

  get identity(): string {
    return this.options.identity;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(leadership: Leadership): void {
    this.running ??= this.run(leadership);
  }

  /** Stops campaigning; a leader stops its work first, then releases the lease. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(leadership: Leadership): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) return;
      this.leading = true;
      this.logger.info({ identity: this.identity }, 'became the leader');
      const lost = new AbortController();
      leadership.onStartedLeading(lost.signal);
      await this.renewUntilLost(signal);
      this.leading = false;
      lost.abort();
      await leadership.onStoppedLeading();
      if (signal.aborted) {
        await this.release();
        return;
      }
      this.logger.warn({ identity: this.identity }, 'lost the lease; stopped leading, campaigning again');
    }
  }

  /** Tries every retry period until the lease is ours; false if stopped first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      if (await this.tryAcquireOrRenew()) return true;
      await sleep(this.clock, this.jittered(this.retryPeriodMs), signal).catch(() => undefined);
    }
  }

  /** Renews every retry period; returns when stopped or when no renewal succeeded for the renew deadline. */
  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    let renewedAt = this.clock.now();
    for (;;) {
      await sleep(this.clock, this.retryPeriodMs, signal).catch(() => undefined);
      if (signal.aborted) return;
      // A renewal that hangs must not keep us leading past the deadline.
      const remainingMs = renewedAt + this.renewDeadlineMs - this.clock.now();
      if (await this.withinMs(this.tryAcquireOrRenew(), remainingMs)) renewedAt = this.clock.now();
      else if (this.clock.now() - renewedAt >= this.renewDeadlineMs) return;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, leaseName: name } = this.options;
    const now = this.clock.now();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (httpStatusOf(error) !== 404) {
        this.logger.debug(`reading the lease failed: ${describeApiError(error)}`);
        return false;
      }
      return this.write(() =>
        this.api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: this.spec(now, now, 0) },
        }),
      );
    }
    const record = lease.spec ?? {};
    const key = JSON.stringify([record.holderIdentity, String(record.renewTime), record.leaseTransitions]);
    if (this.observed?.key !== key) this.observed = { key, atMs: now };
    const holder = record.holderIdentity;
    const durationMs = (record.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (holder && holder !== this.identity && this.observed.atMs + durationMs > now) return false;
    const ours = holder === this.identity;
    const acquiredMs = ours && record.acquireTime ? Date.parse(String(record.acquireTime)) : now;
    const transitions = (record.leaseTransitions ?? 0) + (ours ? 0 : 1);
    return this.write(() =>
      this.api.replaceNamespacedLease({
        name,
        namespace,
        body: { ...lease, spec: this.spec(acquiredMs, now, transitions) },
      }),
    );
  }

  private spec(acquiredMs: number, renewedMs: number, transitions: number): V1LeaseSpec {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      // client-node types MicroTime as Date but sends any other value as it is.
      acquireTime: microTime(acquiredMs) as unknown as Date,
      renewTime: microTime(renewedMs) as unknown as Date,
      leaseTransitions: transitions,
    };
  }

  /** A create or replace of the lease; a conflict means another candidate wrote first. */
  private async write(call: () => Promise<V1Lease>): Promise<boolean> {
    try {
      this.ownLease = await call();
      const spec = this.ownLease.spec ?? {};
      this.observed = {
        key: JSON.stringify([spec.holderIdentity, String(spec.renewTime), spec.leaseTransitions]),
        atMs: this.clock.now(),
      };
      return true;
    } catch (error) {
      const status = httpStatusOf(error);
      if (status !== 409) this.logger.debug(`writing the lease failed: ${describeApiError(error)}`);
      return false;
    }
  }

  /** Empties the holder and shortens the lease, so that a waiting candidate takes over at once. */
  private async release(): Promise<void> {
    const lease = this.ownLease;
    if (!lease) return;
    const now = this.clock.now();
    try {
      await this.api.replaceNamespacedLease({
        name: this.options.leaseName,
        namespace: this.options.namespace,
        body: {
          ...lease,
          spec: {
            leaseDurationSeconds: 1,
            renewTime: microTime(now) as unknown as Date,
            acquireTime: microTime(now) as unknown as Date,
            leaseTransitions: lease.spec?.leaseTransitions,
          },
        },
      });
      this.logger.info({ identity: this.identity }, 'released the lease');
    } catch (error) {
      this.logger.warn(`releasing the lease failed (it expires by itself): ${describeApiError(error)}`);
    }
  }

  /** The result of `attempt`, or false when it has not settled within `ms`. */
  private withinMs(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), Math.max(0, ms));
      void attempt.then((ok) => {
        this.clock.clearTimeout(timer);
        resolve(ok);
      });
    });
  }

  /** Candidates spread their attempts so they do not hit the API server in lockstep. */
  private jittered(ms: number): number {
    return Math.round(ms * (1 + Math.random() * 0.2));
  }
}
