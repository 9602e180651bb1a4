/**
 * The LB's data path: the Maglev table of the active identifiers in a shared flow table, the native
 * NFQUEUE thread that marks each flow's packets with offset + identifier, the LB's own mangle chains
 * (a queue rule per VIP, conntrack pinning unless stateless) and a blackhole route per VIP. Changes are
 * applied one at a time, in an order that never routes a VIP packet out unmarked.
 */
import type { Logger } from 'pino';

import { createMaglev, type MaglevConfig, type MaglevTableBuilder } from '../../sdk/maglev/index.js';
import { createFlowTable, type FlowTable, type NfQueueStats } from '../../sdk/nfqueue/index.js';
import type { TargetActivation } from './reconciler.js';

/** What the chains are built from. */
export interface ChainState {
  readonly vips: readonly string[];
  /** Sorted; with pinning, a restored mark of any other identifier is queued again. */
  readonly active: readonly number[];
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
   * killed LB left). Blackholes an earlier run left stay until the first `setVips`, so VIP traffic
   * meanwhile is dropped, not routed.
   */
  static async open(options: DataplaneOptions, ports: DataplanePorts): Promise<LbDataplane> {
    const dataplane = new LbDataplane(options, ports);
    await dataplane.table.publish(dataplane.maglev.build([]));
    dataplane.queue = ports.openQueue(dataplane.table);
    try {
      await dataplane.applyChains();
    } catch (error) {
      await dataplane.close().catch(() => undefined);
      throw error;
    }
    return dataplane;
  }

  /** Publishes the Maglev table of `identifiers`, then (pinning) lets their pinned flows skip the queue. */
  setActive(identifiers: readonly number[]): Promise<void> {
    return this.serially(async () => {
      const next = [...identifiers].sort((a, b) => a - b);
      await this.table.publish(this.maglev.build(next));
      this.active = next;
      // Stateless chains do not list the targets.
      if (this.options.pinning) await this.applyChains();
      this.options.logger.debug({ active: next }, 'Maglev table published');
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
    return this.ports.applyChains({ vips: this.vips, active: this.active });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
