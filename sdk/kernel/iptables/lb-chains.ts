import { runChecked, runCommand } from './run.js';
import {
  chainNames,
  jumpRules,
  legacyJumpRules,
  renderRestore,
  validateSpec,
  type IpFamily,
  type LbChainsSpec,
} from './rules.js';

/** The default chain prefix of the LB's own chains. */
export const LB_CHAIN_PREFIX = 'MERIDIO-LB';

const BINARIES: Record<IpFamily, { iptables: string; restore: string }> = {
  4: { iptables: 'iptables-nft', restore: 'iptables-nft-restore' },
  6: { iptables: 'ip6tables-nft', restore: 'ip6tables-nft-restore' },
};

export interface LbChainsOptions {
  /** Run in this named network namespace (`ip netns exec`); default: the current one. */
  netns?: string;
  chainPrefix?: string;
  vips: readonly string[];
  queue: number;
  queueCount?: number;
  /** Default true: with no process on the queue (restart), packets pass unmarked instead of being dropped. */
  bypass?: boolean;
  /**
   * Default true: established flows keep their target through conntrack marks. The queue must then
   * hand marked packets back with NF_REPEAT (sdk/nfqueue `repeatMarked`), and the LB must delete a
   * leaving target's conntrack entries (`deleteConntrackByMarks`). The rules do not list targets.
   */
  pinning?: boolean;
}

/**
 * Makes the LB's mangle chains match `options` in both families: our chains are replaced in
 * one iptables-restore transaction per family (so there is never a moment without the queue rule),
 * and the jump from PREROUTING is added once (two processes per family: the restore and a check). Calling
 * it again with the same options changes nothing; after a kill -9 it rebuilds the same rules without
 * duplicates. The rules do not depend on the targets, so activating one runs nothing here.
 */
export async function applyLbChains(options: LbChainsOptions): Promise<void> {
  const spec = toSpec(options);
  validateSpec(spec);
  for (const family of [4, 6] as const) {
    await runChecked(options.netns, [BINARIES[family].restore, '--noflush'], renderRestore(spec, family));
    const iptables = BINARIES[family].iptables;
    for (const jump of jumpRules(spec.chainPrefix)) {
      const rule = [jump.chain, '-j', jump.target];
      const exists = await runCommand(options.netns, [iptables, '-t', 'mangle', '-C', ...rule]);
      if (exists.status !== 0) {
        await runChecked(options.netns, [iptables, '-t', 'mangle', '-I', jump.chain, '1', '-j', jump.target]);
      }
    }
  }
}

/** Removes the jumps and the chains in both families; nothing is left, and it is fine if nothing was there. */
export async function removeLbChains(options: { netns?: string; chainPrefix?: string } = {}): Promise<void> {
  const prefix = options.chainPrefix ?? LB_CHAIN_PREFIX;
  for (const family of [4, 6] as const) {
    const iptables = BINARIES[family].iptables;
    for (const jump of [...jumpRules(prefix), ...legacyJumpRules(prefix)]) {
      const rule = [jump.chain, '-j', jump.target];
      while ((await runCommand(options.netns, [iptables, '-t', 'mangle', '-C', ...rule])).status === 0) {
        await runChecked(options.netns, [iptables, '-t', 'mangle', '-D', ...rule]);
      }
    }
    const names = chainNames(prefix);
    const chains = [names.prerouting, names.vip, names.legacyPostrouting];
    for (const chain of chains) {
      const exists = await runCommand(options.netns, [iptables, '-t', 'mangle', '-S', chain]);
      if (exists.status !== 0) continue;
      await runChecked(options.netns, [iptables, '-t', 'mangle', '-F', chain]);
    }
    for (const chain of chains) {
      const exists = await runCommand(options.netns, [iptables, '-t', 'mangle', '-S', chain]);
      if (exists.status === 0) await runChecked(options.netns, [iptables, '-t', 'mangle', '-X', chain]);
    }
  }
}

/** The rules of our chains and jumps as `iptables -S` prints them (for diagnostics and tests). */
export async function listLbRules(
  family: IpFamily,
  options: { netns?: string; chainPrefix?: string } = {},
): Promise<string[]> {
  const prefix = options.chainPrefix ?? LB_CHAIN_PREFIX;
  const all = await runChecked(options.netns, [BINARIES[family].iptables, '-t', 'mangle', '-S']);
  return all.split('\n').filter((line) => line.includes(`${prefix}-`));
}

function toSpec(options: LbChainsOptions): LbChainsSpec {
  return {
    chainPrefix: options.chainPrefix ?? LB_CHAIN_PREFIX,
    vips: options.vips,
    queue: options.queue,
    queueCount: options.queueCount ?? 1,
    bypass: options.bypass ?? true,
    pinning: options.pinning ?? true,
  };
}
