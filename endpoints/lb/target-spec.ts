/**
 * What the LB needs of an NSP target: its Maglev identifier (context `identifier`, a decimal 1..N) and
 * one gateway per family (its addresses without prefix length). Anything else is refused with a
 * sentence naming the target and the problem.
 */
import { messageOf } from '../../sdk/core/index.js';
import { parseIp, type IpFamily } from '../../sdk/kernel/index.js';
import {
  describeTarget,
  IDENTIFIER_KEY,
  normaliseTarget,
  type NspTarget,
} from '../../sdk/services/nsp/index.js';
import { TargetRefusedError } from './errors.js';

export interface TargetGateway {
  readonly family: IpFamily;
  /** The target's address in canonical form: `default via` this in the target's table. */
  readonly address: string;
}

export interface LbTarget {
  /** The NSP's identity of the target (its addresses). */
  readonly key: string;
  readonly identifier: number;
  /** One per family, IPv4 first. */
  readonly gateways: readonly TargetGateway[];
  /** `target 172.16.1.2/24,fd00::2/64 (identifier 3)`, for logs. */
  readonly description: string;
}

const DECIMAL = /^[0-9]{1,10}$/;

/** Reads an NSP target for routing; throws TargetRefusedError when it cannot be used. */
export function parseLbTarget(target: NspTarget, maxTargets: number): LbTarget {
  const description = describeTarget(target);
  let key: string;
  try {
    key = normaliseTarget(target).key;
  } catch (error) {
    throw new TargetRefusedError(`The NSP ${description} is malformed: ${messageOf(error)}.`);
  }
  const text = target.context[IDENTIFIER_KEY];
  if (text === undefined) {
    throw new TargetRefusedError(
      `The NSP ${description} has no "${IDENTIFIER_KEY}" in its context, so it has no Maglev slot; it is not routed.`,
    );
  }
  const identifier = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(identifier) || identifier < 1 || identifier > maxTargets) {
    throw new TargetRefusedError(
      `The NSP ${description} has identifier "${text}", but identifiers are whole numbers from 1 to ` +
        `${maxTargets} (--max-targets); it is not routed.`,
    );
  }
  const gateways = key.split(',').map((address): TargetGateway => {
    const parsed = parseIp(address, 'target address');
    return { family: parsed.family, address: parsed.text };
  });
  return { key, identifier, gateways, description };
}
