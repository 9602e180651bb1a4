/**
 * The LB's own mangle chains, rendered as iptables-restore input (pure: no I/O, unit-testable).
 *
 *   PREROUTING  → <prefix>-PRE:   -d <VIP> -j <prefix>-VIP            (one rule per VIP of the family)
 *   <prefix>-VIP, pinning on:     -m mark ! --mark 0 -j CONNMARK --save-mark   (a verdict coming back)
 *                                 -j CONNMARK --restore-mark                   (the flow's mark)
 *                                 -m mark ! --mark 0 -j RETURN                 (pinned: done)
 *                                 -j NFQUEUE --queue-num Q [--queue-bypass]
 *   <prefix>-VIP, stateless:      -j NFQUEUE --queue-num Q [--queue-bypass]
 *
 * The rule set does not depend on the targets: it changes only with the VIPs. With pinning, only a
 * flow's first packet reaches the queue. The queue hands it back with NF_REPEAT and its mark (sdk/nfqueue
 * `repeatMarked`), so it runs this hook again: the first rule saves the mark in conntrack and the third
 * lets it go. Every later packet restores the mark and leaves at the third rule. A wire packet has
 * mark 0 (the mark is cleared when a packet crosses into the namespace), so only a verdict is saved.
 * When a target leaves, the LB deletes the conntrack entries with its mark (sdk/nfqueue
 * `deleteConntrackByMarks`); the flow's next packet has no mark and is hashed again.
 *
 * Earlier versions saved the mark in a POSTROUTING chain <prefix>-POST and listed one RETURN per active
 * target; `removeLbChains` still removes that chain and its jump.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../core/index.js';

export type IpFamily = 4 | 6;

export interface LbChainsSpec {
  /** Names the chains: <prefix>-PRE, <prefix>-VIP, <prefix>-POST. */
  chainPrefix: string;
  /** VIP addresses or prefixes, both families mixed. */
  vips: readonly string[];
  /** The first queue number; with queueCount > 1, --queue-balance spreads flows over the range. */
  queue: number;
  queueCount: number;
  /** Accept VIP packets unmarked when no process serves the queue (restarts) instead of dropping them. */
  bypass: boolean;
  pinning: boolean;
}

export interface ChainNames {
  prerouting: string;
  vip: string;
  /** Only in earlier versions (the POSTROUTING save); removed when found. */
  legacyPostrouting: string;
}

export function chainNames(prefix: string): ChainNames {
  return { prerouting: `${prefix}-PRE`, vip: `${prefix}-VIP`, legacyPostrouting: `${prefix}-POST` };
}

export interface JumpRule {
  chain: 'PREROUTING' | 'POSTROUTING';
  target: string;
}

/** The jump from the built-in chain into ours; checked and inserted with iptables (restore cannot). */
export function jumpRules(prefix: string): JumpRule[] {
  return [{ chain: 'PREROUTING', target: chainNames(prefix).prerouting }];
}

/** The jump of earlier versions, removed with its chain. */
export function legacyJumpRules(prefix: string): JumpRule[] {
  return [{ chain: 'POSTROUTING', target: chainNames(prefix).legacyPostrouting }];
}

/** Splits and validates VIPs; each becomes a host or network prefix of its family. */
export function vipsOfFamily(vips: readonly string[], family: IpFamily): string[] {
  const result: string[] = [];
  for (const vip of vips) {
    const [address, length, extra] = vip.split('/');
    const addressFamily = isIP(address);
    const maxLength = addressFamily === 6 ? 128 : 32;
    const prefixLength = length === undefined ? maxLength : Number(length);
    if (
      addressFamily === 0 ||
      extra !== undefined ||
      !Number.isInteger(prefixLength) ||
      prefixLength < 0 ||
      prefixLength > maxLength ||
      (length !== undefined && !/^\d+$/.test(length))
    ) {
      throw new InvalidArgumentError(`"${vip}" is not a valid VIP: expected an IPv4/IPv6 address or prefix.`);
    }
    if (addressFamily === family) result.push(`${address}/${prefixLength}`);
  }
  return result;
}

export function validateSpec(spec: LbChainsSpec): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,19}$/.test(spec.chainPrefix)) {
    throw new InvalidArgumentError(
      `The chain prefix "${spec.chainPrefix}" must start with a letter and have at most 20 letters, digits, ` +
        `"-" or "_" (iptables chain names are limited to 28 characters).`,
    );
  }
  if (!Number.isInteger(spec.queue) || spec.queue < 0 || spec.queue > 0xffff) {
    throw new InvalidArgumentError(`The queue number must be an integer from 0 to 65535, got ${spec.queue}.`);
  }
  if (
    !Number.isInteger(spec.queueCount) ||
    spec.queueCount < 1 ||
    spec.queue + spec.queueCount - 1 > 0xffff
  ) {
    throw new InvalidArgumentError(
      `The queue count must be an integer ≥ 1 whose last queue is at most 65535, got ${spec.queueCount}.`,
    );
  }
  vipsOfFamily(spec.vips, 4);
}

/** iptables-restore --noflush input that replaces our chains at once (one nf_tables transaction). */
export function renderRestore(spec: LbChainsSpec, family: IpFamily): string {
  const names = chainNames(spec.chainPrefix);
  const queueTarget =
    spec.queueCount > 1
      ? `-j NFQUEUE --queue-balance ${spec.queue}:${spec.queue + spec.queueCount - 1}`
      : `-j NFQUEUE --queue-num ${spec.queue}`;
  const queueRule = `${queueTarget}${spec.bypass ? ' --queue-bypass' : ''}`;
  const lines = ['*mangle'];
  for (const chain of [names.prerouting, names.vip]) lines.push(`:${chain} - [0:0]`, `-F ${chain}`);
  const vips = vipsOfFamily(spec.vips, family);
  for (const vip of vips) lines.push(`-A ${names.prerouting} -d ${vip} -j ${names.vip}`);
  if (spec.pinning) {
    lines.push(
      `-A ${names.vip} -m mark ! --mark 0 -j CONNMARK --save-mark`,
      `-A ${names.vip} -j CONNMARK --restore-mark`,
      `-A ${names.vip} -m mark ! --mark 0 -j RETURN`,
    );
  }
  lines.push(`-A ${names.vip} ${queueRule}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
