/**
 * The LB's data path in its namespace: the Maglev table of the active identifiers in a shared flow
 * table, the native NFQUEUE thread that marks each flow's packets with offset + identifier, the LB's
 * own mangle chains (a queue rule per VIP, conntrack pinning unless stateless) and a blackhole route
 * per VIP. Changes are applied one at a time, in an order that never sends a VIP packet out unmarked.
 */
import type { Logger } from 'pino';

import type { NetnsHandle } from '../../sdk/kernel/index.js';
import { applyLbChains, LB_CHAIN_PREFIX, removeLbChains } from '../../sdk/kernel/iptables/index.js';
import { createMaglev, type MaglevConfig, type MaglevTableBuilder } from '../../sdk/maglev/index.js';
import {
  createFlowTable,
  openNfQueue,
  type FlowTable,
  type NfQueue,
  type NfQueueStats,
} from '../../sdk/nfqueue/index.js';
import type { FwmarkRange } from './fwmark.js';
import type { TargetActivation } from './reconciler.js';
import { VipBlackholes } from './vip-blackholes.js';

export interface DataplaneOptions {
  /** The namespace handle (routes); and its name for iptables and the queue, undefined: the process's own. */
  readonly netns: NetnsHandle;
  readonly netnsName: string | undefined;
  readonly maglev: MaglevConfig;
  readonly range: FwmarkRange;
  readonly queue: number;
  /** Accept VIP packets unmarked while no thread serves the queue (they then meet the blackhole). */
  readonly queueBypass: boolean;
  /** Keep each flow on its target through conntrack marks; false: hash every packet. */
  readonly pinning: boolean;
  readonly chainPrefix?: string;
  readonly logger: Logger;
}

export class LbDataplane implements TargetActivation {
  readonly table: FlowTable;
  private readonly maglev: MaglevTableBuilder;
  private readonly blackholes: VipBlackholes;
  private readonly chainPrefix: string;
  private queue: NfQueue | undefined;
  private active: readonly number[] = [];
  private vips: readonly string[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: DataplaneOptions) {
    this.maglev = createMaglev(options.maglev);
    this.table = createFlowTable({
      capacity: options.maglev.tableSize,
      maxTargets: options.maglev.maxTargets,
      hashSeed: options.maglev.seed,
    });
    this.blackholes = new VipBlackholes(options.netns);
    this.chainPrefix = options.chainPrefix ?? LB_CHAIN_PREFIX;
  }

  /**
   * Opens the queue, then rebuilds the chains with no VIP (flushing what a killed LB left). Blackholes an
   * earlier run left stay until the first `setVips`, so VIP traffic meanwhile is dropped, not routed.
   * Every flow is dropped until identifiers are activated.
   */
  static async open(options: DataplaneOptions): Promise<LbDataplane> {
    const dataplane = new LbDataplane(options);
    await dataplane.table.publish(dataplane.maglev.build([]));
    dataplane.queue = openNfQueue({
      queue: options.queue,
      table: dataplane.table,
      fwmarkOffset: options.range.offset,
      ...(options.netnsName === undefined ? {} : { netns: options.netnsName }),
    });
    try {
      await dataplane.applyChains();
    } catch (error) {
      await dataplane.close().catch(() => undefined);
      throw error;
    }
    return dataplane;
  }

  /** Publishes the Maglev table of `identifiers`, then lets their pinned flows skip the queue. */
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
   * VIP's queue rule goes before its blackhole, so no step routes a VIP packet unmarked.
   */
  setVips(vips: readonly string[]): Promise<void> {
    return this.serially(async () => {
      await this.blackholes.add(vips);
      this.vips = [...vips];
      await this.applyChains();
      await this.blackholes.set(vips);
    });
  }

  /** The identifiers whose flows the queue marks now. */
  activeIdentifiers(): readonly number[] {
    return this.active;
  }

  /** The VIPs the chains and blackholes were last built for. */
  appliedVips(): readonly string[] {
    return this.vips;
  }

  stats(): NfQueueStats | undefined {
    return this.queue?.stats();
  }

  /** Removes the chains (no more queueing), stops the queue thread, then removes the blackholes. */
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
      await attempt(() => removeLbChains({ chainPrefix: this.chainPrefix, ...this.where() }));
      await attempt(() => this.queue?.close());
      this.queue = undefined;
      await attempt(() => this.blackholes.set([]));
      if (failures.length > 0) throw failures[0];
    });
  }

  private applyChains(): Promise<void> {
    return applyLbChains({
      ...this.where(),
      chainPrefix: this.chainPrefix,
      vips: this.vips,
      queue: this.options.queue,
      bypass: this.options.queueBypass,
      pinning: this.options.pinning,
      activeIdentifiers: this.active,
      fwmarkOffset: this.options.range.offset,
    });
  }

  private where(): { netns?: string } {
    return this.options.netnsName === undefined ? {} : { netns: this.options.netnsName };
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
