/**
 * Puts an EndPlan onto one end of a veth pair: addresses (IPv6 without duplicate address detection, so
 * they work at once), routes, and policy rules with their tables. On a refresh, what the previous plan
 * had and the new one lacks is removed. Routes need no removal on close: they go with the link; rules
 * do not, so `removePolicies` deletes them.
 */
import { type LinkRef, parsePrefix, type NetnsHandle } from '../../../sdk/kernel/index.js';
import type { EndPlan, PlannedPolicy, PlannedRoute } from './ip-plan.js';
import { PolicyTables } from './policy-tables.js';

/** A policy as installed: its plan and the table it got. */
export interface InstalledPolicy {
  readonly policy: PlannedPolicy;
  readonly table: number;
}

/** What an end holds after `applyPlan`. */
export interface AppliedEnd {
  readonly plan: EndPlan;
  readonly policies: readonly InstalledPolicy[];
}

function routeKey(route: PlannedRoute, table: number): string {
  return `${table} ${route.destination} ${route.gateway ?? ''}`;
}

async function putRoute(
  netns: NetnsHandle,
  device: LinkRef,
  route: PlannedRoute,
  table?: number,
): Promise<void> {
  await netns.routes.replace({
    destination: route.destination,
    device,
    ...(route.gateway === undefined ? {} : { gateway: route.gateway, onlink: true }),
    ...(table === undefined ? {} : { table }),
  });
}

async function dropRoute(
  netns: NetnsHandle,
  device: LinkRef,
  route: PlannedRoute,
  table?: number,
): Promise<void> {
  await netns.routes.delete({
    destination: route.destination,
    device,
    ...(route.gateway === undefined ? {} : { gateway: route.gateway }),
    ...(table === undefined ? {} : { table }),
  });
}

function samePolicy(a: PlannedPolicy, b: PlannedPolicy): boolean {
  return a.from === b.from && a.families.join() === b.families.join();
}

async function removeRules(netns: NetnsHandle, installed: InstalledPolicy): Promise<void> {
  for (const family of installed.policy.families) {
    await netns.rules.delete({
      family,
      table: installed.table,
      ...(installed.policy.from === '' ? {} : { from: installed.policy.from }),
    });
  }
}

async function installPolicies(
  netns: NetnsHandle,
  device: LinkRef,
  tables: PolicyTables,
  policies: readonly PlannedPolicy[],
  previous: readonly InstalledPolicy[],
): Promise<InstalledPolicy[]> {
  const installed: InstalledPolicy[] = [];
  for (const policy of policies) {
    const kept = previous.find(
      (p) => samePolicy(p.policy, policy) && !installed.some((i) => i.table === p.table),
    );
    const taken = [
      ...installed.map((i) => i.table),
      ...previous.filter((p) => p !== kept).map((p) => p.table),
    ];
    const install = async (table: number): Promise<InstalledPolicy> => {
      for (const family of policy.families) {
        await netns.rules.add({ family, table, ...(policy.from === '' ? {} : { from: policy.from }) });
      }
      for (const route of policy.routes) await putRoute(netns, device, route, table);
      const before = kept?.policy.routes ?? [];
      for (const stale of before.filter(
        (r) => !policy.routes.some((n) => routeKey(n, 0) === routeKey(r, 0)),
      )) {
        await dropRoute(netns, device, stale, table);
      }
      return { policy, table };
    };
    installed.push(
      kept ? await install(kept.table) : await tables.withTable(netns, policy.from, taken, install),
    );
  }
  for (const stale of previous.filter((p) => !installed.some((i) => i.table === p.table))) {
    await removeRules(netns, stale);
  }
  return installed;
}

/** Applies `plan` to `device` in `netns`, removing what `previous` had that `plan` lacks. */
export async function applyPlan(
  netns: NetnsHandle,
  device: LinkRef,
  plan: EndPlan,
  previous: AppliedEnd | undefined,
  tables: PolicyTables,
): Promise<AppliedEnd> {
  for (const address of plan.addresses) {
    await netns.addresses.add(device, address, { nodad: parsePrefix(address).address.family === 6 });
  }
  for (const stale of previous?.plan.addresses.filter((a) => !plan.addresses.includes(a)) ?? []) {
    await netns.addresses.delete(device, stale);
  }
  for (const route of plan.routes) await putRoute(netns, device, route);
  const wanted = new Set(plan.routes.map((r) => routeKey(r, 0)));
  for (const stale of previous?.plan.routes.filter((r) => !wanted.has(routeKey(r, 0))) ?? []) {
    await dropRoute(netns, device, stale);
  }
  const policies = await installPolicies(netns, device, tables, plan.policies, previous?.policies ?? []);
  return { plan, policies };
}

/** Deletes the rules of an end's policies (their routes went with the link). */
export async function removePolicies(netns: NetnsHandle, applied: AppliedEnd): Promise<void> {
  for (const installed of applied.policies) await removeRules(netns, installed);
}
