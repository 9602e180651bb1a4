/**
 * Policy routing rules in one namespace (`ip rule`): fwmark → table, from/to → table, input/output
 * device, priority, or a drop action. `add` is idempotent: an identical rule is left alone (the kernel's
 * NLM_F_EXCL duplicate check when a priority is given; without one the kernel would pick a new
 * priority and accept a duplicate, so the existing rules are compared first). `delete` of an absent
 * rule returns false.
 */
import { rt } from 'netlink';
import { enumNumber } from './enums.js';
import { KernelInvalidArgumentError, isExists, isNotFound } from './errors.js';
import {
  addressFamily,
  formatIp,
  formatPrefix,
  ipFamilyOf,
  networkOf,
  parseIp,
  parsePrefix,
  type IpFamily,
} from './ip.js';
import { CREATE_EXCLUSIVE, type NetnsContext } from './netns-context.js';

export type RuleAction = 'lookup' | 'blackhole' | 'unreachable' | 'prohibit';

const ACTION_KEYS: Record<RuleAction, keyof typeof rt.RuleAction> = {
  lookup: 'toTbl',
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
};
const ACTION_NUMBERS: Record<number, RuleAction> = {
  1: 'lookup',
  6: 'blackhole',
  7: 'unreachable',
  8: 'prohibit',
};

export interface RuleSpec {
  /** Needed when neither `from` nor `to` gives the family. */
  family?: IpFamily;
  /** Lower runs first. Without it the kernel picks one just below the first existing rule. */
  priority?: number;
  /** The table to look up (required for the default action `lookup`). */
  table?: number;
  action?: RuleAction;
  fwmark?: number;
  /** Default: all bits (0xffffffff) when `fwmark` is given. */
  fwmask?: number;
  /** Source prefix (a bare address is a host prefix). */
  from?: string;
  /** Destination prefix. */
  to?: string;
  iif?: string;
  oif?: string;
}

export interface RuleInfo {
  readonly family: IpFamily;
  readonly priority: number;
  readonly action: RuleAction | 'other';
  readonly table: number;
  readonly fwmark: number | undefined;
  readonly fwmask: number | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly iif: string | undefined;
  readonly oif: string | undefined;
}

export class Rules {
  constructor(private readonly netns: NetnsContext) {}

  /** Adds the rule; returns false when an identical rule was already there. Removed by `delete`. */
  async add(spec: RuleSpec): Promise<boolean> {
    const [data, attrs] = this.encode(spec);
    if (spec.priority === undefined && (await this.hasRuleLike(spec))) return false;
    try {
      await this.netns.request(`add rule ${describeRule(spec)}`, (socket) =>
        socket.newRule(data, attrs, CREATE_EXCLUSIVE),
      );
      return true;
    } catch (error) {
      if (isExists(error)) return false;
      throw error;
    }
  }

  /** Deletes the first rule matching every field given in `spec`. Returns false when none matched. */
  async delete(spec: RuleSpec): Promise<boolean> {
    const [data, attrs] = this.encode(spec);
    try {
      await this.netns.request(`delete rule ${describeRule(spec)}`, (socket) => socket.delRule(data, attrs));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The rules of one family (default both), in priority order. */
  async list(family?: IpFamily): Promise<RuleInfo[]> {
    const messages = await this.netns.request('list rules', (socket) =>
      socket.getRules(family === undefined ? {} : { family: addressFamily(family) }),
    );
    return messages
      .map(toRuleInfo)
      .filter((rule) => family === undefined || rule.family === family)
      .sort((a, b) => a.priority - b.priority);
  }

  /** A rule that matches `spec` in every field but the priority. */
  private async hasRuleLike(spec: RuleSpec): Promise<boolean> {
    const [data, attrs] = this.encode(spec);
    const family = ipFamilyOf(data.family);
    const wanted = toRuleInfo({
      kind: 'rule',
      data: { ...data, action: ACTION_KEYS[spec.action ?? 'lookup'] },
      attrs,
    });
    const fwmask = wanted.fwmark === undefined ? undefined : (wanted.fwmask ?? 0xffffffff);
    return (await this.list(family)).some(
      (rule) =>
        rule.action === wanted.action &&
        rule.table === wanted.table &&
        rule.fwmark === wanted.fwmark &&
        rule.fwmask === fwmask &&
        rule.from === wanted.from &&
        rule.to === wanted.to &&
        rule.iif === wanted.iif &&
        rule.oif === wanted.oif,
    );
  }

  private encode(spec: RuleSpec): [rt.Rule, rt.RuleAttrs] {
    const from =
      spec.from === undefined
        ? undefined
        : networkOf(parsePrefix(spec.from, 'rule source', this.netns.label));
    const to =
      spec.to === undefined
        ? undefined
        : networkOf(parsePrefix(spec.to, 'rule destination', this.netns.label));
    const family = spec.family ?? from?.address.family ?? to?.address.family;
    const action = spec.action ?? 'lookup';
    if (family === undefined) throw this.invalid(spec, 'give a family, or a from/to prefix');
    if ((from && from.address.family !== family) || (to && to.address.family !== family)) {
      throw this.invalid(spec, 'from, to and family disagree');
    }
    if (action === 'lookup' && spec.table === undefined)
      throw this.invalid(spec, 'a lookup rule needs a table');
    const table = spec.table ?? 0;
    const data: rt.Rule = {
      family: addressFamily(family),
      srcLen: from?.length ?? 0,
      dstLen: to?.length ?? 0,
      table: table < 256 ? table : 0,
      action: ACTION_KEYS[action],
    };
    const attrs: rt.RuleAttrs = {};
    if (spec.table !== undefined) attrs.table = spec.table;
    if (spec.priority !== undefined) attrs.priority = spec.priority;
    if (spec.fwmark !== undefined) attrs.fwmark = spec.fwmark;
    if (spec.fwmask !== undefined) attrs.fwmask = spec.fwmask;
    if (from && from.length > 0) attrs.src = from.address.bytes;
    if (to && to.length > 0) attrs.dst = to.address.bytes;
    if (spec.iif !== undefined) attrs.iifname = spec.iif;
    if (spec.oif !== undefined) attrs.oifname = spec.oif;
    return [data, attrs];
  }

  private invalid(spec: RuleSpec, reason: string): KernelInvalidArgumentError {
    return new KernelInvalidArgumentError(
      `The rule ${describeRule(spec)} in network namespace '${this.netns.label}' is invalid: ${reason}.`,
      { namespace: this.netns.label },
    );
  }
}

function describeRule(spec: RuleSpec): string {
  const parts: string[] = [];
  if (spec.priority !== undefined) parts.push(`priority ${spec.priority}`);
  if (spec.from !== undefined) parts.push(`from ${spec.from}`);
  if (spec.to !== undefined) parts.push(`to ${spec.to}`);
  if (spec.fwmark !== undefined) parts.push(`fwmark ${spec.fwmark}`);
  if (spec.iif !== undefined) parts.push(`iif ${spec.iif}`);
  if (spec.oif !== undefined) parts.push(`oif ${spec.oif}`);
  parts.push(spec.action === undefined || spec.action === 'lookup' ? `lookup ${spec.table}` : spec.action);
  return `'${parts.join(' ')}'`;
}

function toRuleInfo(message: rt.RuleMessage): RuleInfo {
  const { data, attrs } = message;
  const family = ipFamilyOf(data.family);
  const prefix = (bytes: Buffer | undefined, length: number | undefined): string | undefined =>
    bytes === undefined
      ? undefined
      : formatPrefix({ address: parseIp(formatIp(bytes)), length: length ?? 0 });
  return {
    family,
    priority: attrs.priority ?? 0,
    action: ACTION_NUMBERS[enumNumber(rt.RuleAction, data.action) ?? -1] ?? 'other',
    table: attrs.table ?? data.table ?? 0,
    fwmark: attrs.fwmark,
    fwmask: attrs.fwmask,
    from: prefix(attrs.src, data.srcLen),
    to: prefix(attrs.dst, data.dstLen),
    iif: attrs.iifname,
    oif: attrs.oifname,
  };
}
