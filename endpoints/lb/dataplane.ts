/**
 * The LB's data path: the Maglev table of the active identifiers in a shared flow table, the native
 * NFQUEUE thread that marks each flow's packets with offset + identifier, the LB's own mangle chains
 * (a queue rule per VIP, conntrack pinning unless stateless) and a blackhole route per VIP. Changes are
 * applied one at a time, in an order that never routes a VIP packet out unmarked.
 *
 * With pinning the chains do not depend on the targets: a flow's mark lives in its conntrack entry.
 * When a target leaves, the table without it is published first (after which no queue thread can still
 * hand out its mark: the threads send their verdicts before leaving the table), then the conntrack
 * entries with its mark are deleted, so each of its flows is hashed again by its next packet. A packet
 * already past the restore rule still reaches the leaving target, whose route goes only after this.
 */
import type { Logger } from 'pino';

import { createMaglev, type MaglevConfig, type MaglevTableBuilder } from '../../sdk/maglev/index.js';
import { createFlowTable, type FlowTable, type NfQueueStats } from '../../sdk/nfqueue/index.js';
import type { TargetActivation } from './reconciler.js';

/** What the chains are built from (the targets are not: the rules are the same for any active set). */
export interface ChainState {
  readonly vips: readonly string[];
}

/** The kernel side of the data path (dataplane-ports.ts makes the real one). */
export interface DataplanePorts {
  /** Rebuilds the LB's chains for `state` (flushing whatever they held). */
  applyChains(state: ChainState): Promise<void>;
  /** Removes the chains and the jumps to them. */
  removeChains(): Promise<void>;
  /** Adds the blackhole route of each VIP (idempotent). */
  addBlackholes(vips: readonly string[]): Promise<void>;
  /** Leaves exactly the blackholes of `vips`. */
  setBlackholes(vips: readonly string[]): Promise<void>;
  /** Starts the queue thread on `table`. */
  openQueue(table: FlowTable): { stats(): NfQueueStats; close(): void };
  /** Pinning: deletes the conntrack entries carrying these identifiers' marks, so their flows are hashed again. */
  forgetFlows(identifiers: readonly number[]): Promise<void>;
}

export interface DataplaneOptions {
  readonly maglev: MaglevConfig;
  /** Keep each flow on its target through conntrack marks; false: hash every packet. */
  readonly pinning: boolean;
  readonly logger: Logger;
}

export class LbDataplane implements TargetActivation {
  readonly table: FlowTable;
  private readonly maglev: MaglevTableBuilder;
  private queue: { stats(): NfQueueStats; close(): void } | undefined;
  private active: readonly number[] = [];
  private vips: readonly string[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: DataplaneOptions,
    private readonly ports: DataplanePorts,
  ) {
    this.maglev = createMaglev(options.maglev);
    this.table = createFlowTable({
      capacity: options.maglev.tableSize,
      maxTargets: options.maglev.maxTargets,
      hashSeed: options.maglev.seed,
    });
  }

  /**
   * Publishes an empty table, opens the queue, then rebuilds the chains with no VIP (flushing what a
   * killed LB left) and, with pinning, deletes the conntrack entries with any mark of the range: a
   * killed LB's flows would otherwise stay pinned to targets this run may never activate (their routes
   * are gone). They are hashed again by their next packet once targets are active. Blackholes an
   * earlier run left stay until the first `setVips`, so VIP traffic meanwhile is dropped, not routed.
   */
  static async open(options: DataplaneOptions, ports: DataplanePorts): Promise<LbDataplane> {
    const dataplane = new LbDataplane(options, ports);
    await dataplane.table.publish(dataplane.maglev.build([]));
    dataplane.queue = ports.openQueue(dataplane.table);
    try {
      await dataplane.applyChains();
      if (options.pinning) {
        const every = Array.from({ length: options.maglev.maxTargets }, (_, index) => index + 1);
        await ports.forgetFlows(every);
      }
    } catch (error) {
      await dataplane.close().catch(() => undefined);
      throw error;
    }
    return dataplane;
  }

  /**
   * Publishes the Maglev table of `identifiers`, then (pinning) deletes the conntrack entries of the
   * identifiers that left, so their flows are hashed again. No iptables process runs.
   */
  setActive(identifiers: readonly number[]): Promise<void> {
    return this.serially(async () => {
      const next = [...new Set(identifiers)].sort((a, b) => a - b);
      const left = this.active.filter((identifier) => !next.includes(identifier));
      await this.table.publish(this.maglev.build(next));
      this.active = next;
      this.options.logger.debug({ active: next }, 'Maglev table published');
      if (this.options.pinning && left.length > 0) {
        await this.ports.forgetFlows(left);
        this.options.logger.debug({ identifiers: left }, 'pinned flows of the leaving targets forgotten');
      }
    });
  }

  /**
   * Makes `vips` the load-balanced ones: a new VIP's blackhole comes before its queue rule, a removed
   * VIP's queue rule goes before its blackhole. Idempotent, so a failed attempt is repaired by the next.
   */
  setVips(vips: readonly string[]): Promise<void> {
    return this.serially(async () => {
      await this.ports.addBlackholes(vips);
      this.vips = [...vips];
      await this.applyChains();
      await this.ports.setBlackholes(vips);
      this.options.logger.info({ vips }, 'VIPs applied');
    });
  }

  /** The identifiers whose flows the queue marks now. */
  activeIdentifiers(): readonly number[] {
    return this.active;
  }

  /** The VIPs the chains were last built for. */
  appliedVips(): readonly string[] {
    return this.vips;
  }

  stats(): NfQueueStats | undefined {
    return this.queue?.stats();
  }

  /**
   * Removes the chains (no more queueing), stops the queue thread, then removes the blackholes. Every
   * step runs even when one fails; the first failure is reported.
   */
  close(): Promise<void> {
    return this.serially(async () => {
      const failures: unknown[] = [];
      const attempt = async (step: () => unknown): Promise<void> => {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      };
      await attempt(() => this.ports.removeChains());
      await attempt(() => this.queue?.close());
      this.queue = undefined;
      await attempt(() => this.ports.setBlackholes([]));
      if (failures.length > 0) throw failures[0];
    });
  }

  private applyChains(): Promise<void> {
    return this.ports.applyChains({ vips: this.vips });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
