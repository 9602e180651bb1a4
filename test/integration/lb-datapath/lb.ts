/**
 * The LB of the data-path tests, assembled from the real parts: Maglev table → shared flow table →
 * native queue thread in the LB namespace, the LB's mangle chains, and a route per active target.
 * (The LB endpoint process, issue 5 item 4, will do the same from the NSP.)
 */
import { DEFAULTS } from '../../../sdk/defaults.js';
import { applyLbChains, removeLbChains } from '../../../sdk/kernel/iptables/index.js';
import { createMaglev } from '../../../sdk/maglev/index.js';
import {
  createFlowTable,
  deleteConntrackByMarks,
  openJsCallbackQueue,
  openNfQueue,
  type FlowTable,
  type FlowTuple,
  type NfQueue,
} from '../../../sdk/nfqueue/index.js';
import { VIP4, VIP6, type Topology } from './topology.js';

export interface TestLbOptions {
  pinning: boolean;
  queue?: number;
  /** Decide in JavaScript, once per packet (the benchmark's comparison mode). */
  javascriptPerPacket?: boolean;
}

export class TestLb {
  readonly table: FlowTable;
  private readonly maglev = createMaglev();
  private queue: NfQueue | undefined;
  private active: number[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly options: TestLbOptions,
  ) {
    this.table = createFlowTable();
  }

  async start(): Promise<void> {
    const queue = this.options.queue ?? 0;
    const common = { queue, table: this.table, netns: this.topology.lb, repeatMarked: this.options.pinning };
    this.queue = this.options.javascriptPerPacket
      ? openJsCallbackQueue({ ...common, onPacket: (packet) => this.table.lookup(packet).identifier })
      : openNfQueue(common);
    await this.applyChains();
  }

  /**
   * Routes newcomers, publishes the table, then (pinning) deletes the leavers' conntrack entries;
   * leavers are unrouted last. The chains never change.
   */
  async setActive(identifiers: number[]): Promise<void> {
    const joining = identifiers.filter((identifier) => !this.active.includes(identifier));
    const leaving = this.active.filter((identifier) => !identifiers.includes(identifier));
    for (const identifier of joining)
      this.topology.routeTarget(identifier, DEFAULTS.fwmarkOffset + identifier);
    await this.table.publish(this.maglev.build(identifiers));
    this.active = [...identifiers];
    if (this.options.pinning) {
      await deleteConntrackByMarks(
        leaving.map((identifier) => DEFAULTS.fwmarkOffset + identifier),
        { netns: this.topology.lb },
      );
    }
    for (const identifier of leaving)
      this.topology.unrouteTarget(identifier, DEFAULTS.fwmarkOffset + identifier);
  }

  /** The identifier the data path gives this flow now. */
  identifierOf(flow: FlowTuple): number {
    return this.table.lookupFlow(flow).identifier;
  }

  stats(): ReturnType<NfQueue['stats']> {
    if (this.queue === undefined) throw new Error('the LB is not started');
    return this.queue.stats();
  }

  async stop(): Promise<void> {
    this.queue?.close();
    this.queue = undefined;
    await removeLbChains({ netns: this.topology.lb });
  }

  private applyChains(): Promise<void> {
    return applyLbChains({
      netns: this.topology.lb,
      vips: [VIP4, VIP6],
      queue: this.options.queue ?? 0,
      pinning: this.options.pinning,
    });
  }
}
