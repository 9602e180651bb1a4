/**
 * Routing tables for policy routes, per client namespace. Table numbers come from a range of their own
 * (POLICY_TABLE_FIRST…) so they do not meet Meridio's fwmark tables (5000 + identifier); a table is
 * free when no rule of the namespace looks it up. After a restart, a policy whose source rule still
 * exists gets its table back.
 */
import { KeyedSerializer, ResourceExhaustedError } from '../../../sdk/core/index.js';
import type { NetnsHandle, RuleInfo } from '../../../sdk/kernel/index.js';

export const POLICY_TABLE_FIRST = 20_000;
export const POLICY_TABLE_LAST = 29_999;

function inRange(table: number): boolean {
  return table >= POLICY_TABLE_FIRST && table <= POLICY_TABLE_LAST;
}

/** Source prefix as the kernel reports it ('' for none). */
function ruleFrom(rule: RuleInfo): string {
  return rule.from ?? '';
}

/**
 * Allocations are serialized per namespace: two connections of one namespace set up at once must not
 * both take the first free table.
 */
export class PolicyTables {
  private readonly serializer = new KeyedSerializer();

  /**
   * Runs `install(table)` with a table for a policy from `from`: the table of an existing rule from the
   * same source in the range (adoption), else the lowest table no rule uses. `exclude` are tables this
   * connection already took for its other policies.
   */
  withTable<T>(
    netns: NetnsHandle,
    from: string,
    exclude: readonly number[],
    install: (table: number) => Promise<T>,
  ): Promise<T> {
    return this.serializer.run(netns.inodeUrl, async () => {
      const rules = await netns.rules.list();
      const existing = rules.find(
        (rule) => inRange(rule.table) && ruleFrom(rule) === from && !exclude.includes(rule.table),
      );
      if (existing !== undefined) return install(existing.table);
      const used = new Set([...rules.map((rule) => rule.table), ...exclude]);
      for (let table = POLICY_TABLE_FIRST; table <= POLICY_TABLE_LAST; table++) {
        if (!used.has(table)) return install(table);
      }
      throw new ResourceExhaustedError(
        `every policy routing table from ${POLICY_TABLE_FIRST} to ${POLICY_TABLE_LAST} is in use in network namespace '${netns.label}'`,
      );
    });
  }
}
