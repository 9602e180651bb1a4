/**
 * The real kernel side of the data path in one namespace: sdk/kernel/iptables for the chains, the
 * native queue of sdk/nfqueue, and the VIP blackhole routes through sdk/kernel.
 */
import type { NetnsHandle } from '../../sdk/kernel/index.js';
import { applyLbChains, LB_CHAIN_PREFIX, removeLbChains } from '../../sdk/kernel/iptables/index.js';
import { deleteConntrackByMarks, openNfQueue } from '../../sdk/nfqueue/index.js';
import type { DataplanePorts } from './dataplane.js';
import type { FwmarkRange } from './fwmark.js';
import { VipBlackholes } from './vip-blackholes.js';

export interface KernelDataplaneOptions {
  /** The namespace's handle (routes). */
  readonly netns: NetnsHandle;
  /** Its name, for iptables and the queue; undefined: the process's own namespace. */
  readonly netnsName: string | undefined;
  readonly range: FwmarkRange;
  readonly queue: number;
  /** Accept VIP packets unmarked while no thread serves the queue (they then meet the blackhole). */
  readonly queueBypass: boolean;
  readonly pinning: boolean;
  /** Default MERIDIO-LB. */
  readonly chainPrefix?: string;
}

export function kernelDataplanePorts(options: KernelDataplaneOptions): DataplanePorts {
  const where = options.netnsName === undefined ? {} : { netns: options.netnsName };
  const chainPrefix = options.chainPrefix ?? LB_CHAIN_PREFIX;
  const blackholes = new VipBlackholes(options.netns);
  return {
    applyChains: (state) =>
      applyLbChains({
        ...where,
        chainPrefix,
        vips: state.vips,
        queue: options.queue,
        bypass: options.queueBypass,
        pinning: options.pinning,
      }),
    removeChains: () => removeLbChains({ ...where, chainPrefix }),
    addBlackholes: (vips) => blackholes.add(vips),
    setBlackholes: (vips) => blackholes.set(vips),
    openQueue: (table) =>
      openNfQueue({
        ...where,
        queue: options.queue,
        table,
        fwmarkOffset: options.range.offset,
        repeatMarked: options.pinning,
      }),
    forgetFlows: (identifiers) =>
      deleteConntrackByMarks(
        identifiers.map((identifier) => options.range.offset + identifier),
        where,
      ),
  };
}
