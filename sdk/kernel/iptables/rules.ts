/**
 * The LB's own mangle chains, rendered as iptables-restore input (pure: no I/O, unit-testable).
 *
 *   PREROUTING  → <prefix>-PRE:   -d <VIP> -j <prefix>-VIP            (one rule per VIP of the family)
 *   <prefix>-VIP, pinning on:     -j CONNMARK --restore-mark           (the flow's mark from conntrack)
 *                                 -m mark --mark <F> -j RETURN         (one per active target's fwmark)
 *                                 -j NFQUEUE --queue-num Q [--queue-bypass]
 *   <prefix>-VIP, stateless:      -j NFQUEUE --queue-num Q [--queue-bypass]
 *   POSTROUTING → <prefix>-POST:  -d <VIP> -j CONNMARK --save-mark     (pinning on only)
 *
 * With pinning, only a flow's first packet reaches the queue; later packets carry the restored mark and
 * leave the chain at their RETURN rule. A restored mark whose target is no longer active matches no
 * RETURN rule, so the packet is queued again, gets a new mark, and POSTROUTING saves that one: the
 * flow is re-hashed. The mark is saved in POSTROUTING because an NFQUEUE accept resumes at the next
 * hook, not at the next rule.
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
  /** fwmarks of the active targets: a restored mark outside this set is re-hashed. */
  activeFwmarks: readonly number[];
}

export interface ChainNames {
  prerouting: string;
  vip: string;
  postrouting: string;
}

export function chainNames(prefix: string): ChainNames {
  return { prerouting: `${prefix}-PRE`, vip: `${prefix}-VIP`, postrouting: `${prefix}-POST` };
}

/** Jumps from the built-in chains into ours; they are checked and inserted one by one (restore cannot). */
export function jumpRules(prefix: string): { chain: 'PREROUTING' | 'POSTROUTING'; target: string }[] {
  const names = chainNames(prefix);
  return [
    { chain: 'PREROUTING', target: names.prerouting },
    { chain: 'POSTROUTING', target: names.postrouting },
  ];
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
  for (const mark of spec.activeFwmarks) {
    if (!Number.isInteger(mark) || mark < 1 || mark > 0xffffffff) {
      throw new InvalidArgumentError(`The fwmark ${mark} must be an integer from 1 to 4294967295.`);
    }
  }
  vipsOfFamily(spec.vips, 4);
}

/** iptables-restore --noflush input that replaces our three chains at once (one nf_tables transaction). */
export function renderRestore(spec: LbChainsSpec, family: IpFamily): string {
  const names = chainNames(spec.chainPrefix);
  const queueTarget =
    spec.queueCount > 1
      ? `-j NFQUEUE --queue-balance ${spec.queue}:${spec.queue + spec.queueCount - 1}`
      : `-j NFQUEUE --queue-num ${spec.queue}`;
  const queueRule = `${queueTarget}${spec.bypass ? ' --queue-bypass' : ''}`;
  const lines = ['*mangle'];
  for (const chain of [names.prerouting, names.vip, names.postrouting])
    lines.push(`:${chain} - [0:0]`, `-F ${chain}`);
  const vips = vipsOfFamily(spec.vips, family);
  for (const vip of vips) lines.push(`-A ${names.prerouting} -d ${vip} -j ${names.vip}`);
  if (spec.pinning) {
    lines.push(`-A ${names.vip} -j CONNMARK --restore-mark`);
    for (const mark of [...new Set(spec.activeFwmarks)].sort((a, b) => a - b)) {
      lines.push(`-A ${names.vip} -m mark --mark ${mark} -j RETURN`);
    }
  }
  lines.push(`-A ${names.vip} ${queueRule}`);
  if (spec.pinning) {
    for (const vip of vips) lines.push(`-A ${names.postrouting} -d ${vip} -j CONNMARK --save-mark`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}
