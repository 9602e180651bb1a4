/**
 * The reconciler's kernel operations on a real namespace, through sdk/kernel: one fwmark rule per
 * family and table at a fixed priority (so adding is idempotent and a restarted LB finds its own rules),
 * and the target's default route in its table.
 */
import { parseIp, type IpFamily, type NetnsHandle } from '../../sdk/kernel/index.js';
import type { TargetRouting } from './reconciler.js';

/** Priority of the fwmark rules: before `main` (32766), after `local` (0). */
export const FWMARK_RULE_PRIORITY = 1000;

export function kernelTargetRouting(netns: NetnsHandle, priority = FWMARK_RULE_PRIORITY): TargetRouting {
  const rule = (family: IpFamily, table: number) => ({ family, priority, fwmark: table, table });
  return {
    async addRule(family, table) {
      await netns.rules.add(rule(family, table));
    },
    async replaceDefaultRoute(family, table, gateway) {
      await netns.routes.replace({ destination: 'default', family, table, gateway });
    },
    async flushNeighbour(address) {
      await netns.neighbours.flush(address);
    },
    async hasDefaultRoute(family, table, gateway) {
      const wanted = parseIp(gateway).text;
      const routes = await netns.routes.list({ table, family });
      return routes.some((route) => route.destination === 'default' && route.gateway === wanted);
    },
    async deleteDefaultRoute(family, table) {
      await netns.routes.delete({ destination: 'default', family, table });
    },
    async deleteRule(family, table) {
      await netns.rules.delete(rule(family, table));
    },
    async removeAll(first, last) {
      const inRange = (table: number): boolean => table >= first && table <= last;
      let removed = 0;
      for (const found of await netns.rules.list()) {
        if (found.fwmark === undefined || !inRange(found.fwmark) || found.table !== found.fwmark) continue;
        if (
          await netns.rules.delete({
            family: found.family,
            priority: found.priority,
            fwmark: found.fwmark,
            table: found.table,
          })
        )
          removed++;
      }
      for (const route of await netns.routes.list()) {
        if (!inRange(route.table)) continue;
        if (
          await netns.routes.delete({
            destination: route.destination,
            family: route.family,
            table: route.table,
          })
        )
          removed++;
      }
      return removed;
    },
  };
}
