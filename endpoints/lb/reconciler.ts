/**
 * The NSP's targets → the kernel and the data path. For a target that arrives: `ip rule fwmark X table
 * X` and `default via <target>` in table X for each of its families, a neighbour flush for its address,
 * and only then its identifier is activated (the Maglev table published); a target whose route cannot be
 * added yet (its subnet is not connected) waits as pending until `retryPending`. For a target that
 * leaves: deactivated first, so no new flow is sent to it, then its routes and rules are removed.
 * Targets with an unusable or already taken identifier are refused and logged; a refused duplicate
 * takes the identifier over when its holder leaves. Every change runs to the end before the next starts.
 */
import type { Logger } from 'pino';

import { messageOf } from '../../sdk/core/index.js';
import type { IpFamily } from '../../sdk/kernel/index.js';
import { describeTarget, normaliseTarget, type NspTarget } from '../../sdk/services/nsp/index.js';
import { tableOf, type FwmarkRange } from './fwmark.js';
import { parseLbTarget, type LbTarget } from './target-spec.js';

/** The kernel operations the reconciler needs, in the LB's namespace (kernel-routing.ts is the real one). */
export interface TargetRouting {
  /** `ip rule fwmark <table> lookup <table>` for the family; fine when it is already there. */
  addRule(family: IpFamily, table: number): Promise<void>;
  /** `default via <gateway>` in the table, replacing what was there; rejects while the gateway is unreachable. */
  replaceDefaultRoute(family: IpFamily, table: number, gateway: string): Promise<void>;
  /** Removes the dynamic neighbour entries of the address (a previous owner's MAC address). */
  flushNeighbour(address: string): Promise<void>;
  /** Whether the table still has `default via <gateway>` (a route goes with its link). */
  hasDefaultRoute(family: IpFamily, table: number, gateway: string): Promise<boolean>;
  /** Fine when it is already gone. */
  deleteDefaultRoute(family: IpFamily, table: number): Promise<void>;
  /** Fine when it is already gone. */
  deleteRule(family: IpFamily, table: number): Promise<void>;
  /** Removes every fwmark rule and route of the tables first..last (what a killed LB left); returns how many. */
  removeAll(first: number, last: number): Promise<number>;
}

/** The data path's view of the targets: which identifiers get flows. */
export interface TargetActivation {
  /** Makes exactly these identifiers (sorted) the active ones: publishes their Maglev table. */
  setActive(identifiers: readonly number[]): Promise<void>;
}

export interface TargetReconcilerOptions {
  readonly routing: TargetRouting;
  readonly activation: TargetActivation;
  readonly range: FwmarkRange;
  readonly logger: Logger;
}

export type TargetState = 'active' | 'pending';

export interface TargetStatus {
  readonly identifier: number;
  readonly table: number;
  readonly description: string;
  readonly state: TargetState;
  /** Why a pending target is not active yet. */
  readonly reason: string | undefined;
}

export interface RefusedTarget {
  readonly key: string;
  readonly description: string;
  readonly reason: string;
}

interface Admitted {
  target: LbTarget;
  state: TargetState;
  reason: string | undefined;
}

interface Refused extends RefusedTarget {
  readonly target: NspTarget;
  /** A duplicate waits for this identifier to be free. */
  readonly waitingFor: number | undefined;
}

function keyOf(target: NspTarget): string {
  try {
    return normaliseTarget(target).key;
  } catch {
    return target.ips.join(',');
  }
}

export class TargetReconciler {
  private readonly admitted = new Map<number, Admitted>();
  private readonly identifierByKey = new Map<string, number>();
  private readonly refused = new Map<string, Refused>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly logger: Logger;

  constructor(private readonly options: TargetReconcilerOptions) {
    this.logger = options.logger.child({ component: 'lb-targets' });
  }

  /** Removes the rules and routes an earlier run left in the LB's tables (after a kill -9). */
  removeLeftovers(): Promise<number> {
    return this.serially(async () => {
      const { first, last } = this.options.range;
      const removed = await this.options.routing.removeAll(first, last);
      if (removed > 0)
        this.logger.info(
          { removed, tables: `${first}-${last}` },
          'removed rules and routes left by an earlier run',
        );
      return removed;
    });
  }

  /** A target registered at the NSP. */
  add(target: NspTarget): Promise<void> {
    return this.serially(() => this.addNow(target));
  }

  /** A target unregistered from the NSP. */
  remove(target: NspTarget): Promise<void> {
    return this.serially(() => this.removeNow(keyOf(target)));
  }

  /** A target whose context changed (found after an NSP reconnect). */
  update(target: NspTarget, previous: NspTarget): Promise<void> {
    return this.serially(async () => {
      const key = keyOf(previous);
      const identifier = this.identifierByKey.get(key);
      const entry = identifier === undefined ? undefined : this.admitted.get(identifier);
      if (entry !== undefined && keyOf(target) === key) {
        try {
          const parsed = parseLbTarget(target, this.options.range.maxTargets);
          // Same slot and addresses: nothing to do in the kernel.
          if (parsed.identifier === entry.target.identifier) {
            entry.target = parsed;
            return;
          }
        } catch {
          // refused below, after the old one is gone
        }
      }
      await this.removeNow(key);
      await this.addNow(target);
    });
  }

  /** Tries the pending targets again (after a link event, or on the retry timer). */
  retryPending(): Promise<void> {
    return this.serially(() => this.bringUp(this.identifiersIn('pending')));
  }

  /**
   * Checks that every active target's routes are still there; a target whose route went with its link
   * is deactivated and waits as pending until the route can be added again. Returns how many went.
   */
  verify(): Promise<number> {
    return this.serially(async () => {
      const lost: Admitted[] = [];
      for (const entry of this.admitted.values()) {
        if (entry.state !== 'active') continue;
        const table = tableOf(this.options.range, entry.target.identifier);
        for (const gateway of entry.target.gateways) {
          if (!(await this.options.routing.hasDefaultRoute(gateway.family, table, gateway.address))) {
            lost.push(entry);
            break;
          }
        }
      }
      if (lost.length === 0) return 0;
      for (const entry of lost) {
        entry.state = 'pending';
        entry.reason = 'its route went away with its link';
        this.logger.warn(
          { target: entry.target.description },
          'target route lost; deactivated until it can be routed again',
        );
      }
      await this.publish();
      return lost.length;
    });
  }

  /** Deactivates every target, then removes every rule and route of the LB's tables. */
  clear(): Promise<void> {
    return this.serially(async () => {
      const routing = this.options.routing;
      try {
        await this.options.activation.setActive([]);
      } catch (error) {
        this.logger.error(
          { error: messageOf(error) },
          'deactivating every target failed; removing their routes anyway',
        );
      }
      for (const entry of this.admitted.values()) await this.uninstall(entry.target);
      this.admitted.clear();
      this.identifierByKey.clear();
      this.refused.clear();
      const { first, last } = this.options.range;
      await routing.removeAll(first, last);
    });
  }

  /** The identifiers that get flows now. */
  active(): number[] {
    return this.identifiersIn('active');
  }

  /** Every admitted target, by identifier. */
  targets(): TargetStatus[] {
    return [...this.admitted.values()]
      .map((entry) => ({
        identifier: entry.target.identifier,
        table: tableOf(this.options.range, entry.target.identifier),
        description: entry.target.description,
        state: entry.state,
        reason: entry.reason,
      }))
      .sort((a, b) => a.identifier - b.identifier);
  }

  pendingCount(): number {
    return this.identifiersIn('pending').length;
  }

  /** The NSP targets the LB refuses, and why. */
  refusals(): RefusedTarget[] {
    return [...this.refused.values()].map(({ key, description, reason }) => ({ key, description, reason }));
  }

  /** Resolves once every change asked for so far has been applied. */
  settled(): Promise<void> {
    return this.serially(async () => undefined);
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async addNow(target: NspTarget): Promise<void> {
    const key = keyOf(target);
    if (this.identifierByKey.has(key) || this.refused.has(key)) await this.removeNow(key);
    let parsed: LbTarget;
    try {
      parsed = parseLbTarget(target, this.options.range.maxTargets);
    } catch (error) {
      this.refuse({
        key,
        description: describeTarget(target),
        reason: messageOf(error),
        target,
        waitingFor: undefined,
      });
      return;
    }
    const holder = this.admitted.get(parsed.identifier);
    if (holder !== undefined) {
      this.refuse({
        key,
        description: parsed.description,
        reason:
          `The NSP ${parsed.description} asks for identifier ${parsed.identifier}, which ${holder.target.description} ` +
          `already has; it is not routed (it takes the identifier over if that target leaves).`,
        target,
        waitingFor: parsed.identifier,
      });
      return;
    }
    this.admit(parsed);
    await this.bringUp([parsed.identifier]);
  }

  private async removeNow(key: string): Promise<void> {
    if (this.refused.delete(key)) return;
    const identifier = this.identifierByKey.get(key);
    if (identifier === undefined) return;
    const entry = this.admitted.get(identifier);
    if (entry === undefined) return;
    if (entry.state === 'active') {
      entry.state = 'pending';
      try {
        await this.publish();
        this.logger.info({ target: entry.target.description }, 'target deactivated');
      } catch (error) {
        this.logger.error(
          { target: entry.target.description, error: messageOf(error) },
          'deactivating the target failed; its flows are dropped once its route is gone',
        );
      }
    }
    await this.uninstall(entry.target);
    this.admitted.delete(identifier);
    this.identifierByKey.delete(key);
    this.logger.info({ target: entry.target.description }, 'target removed');
    const successor = [...this.refused.values()].find((refused) => refused.waitingFor === identifier);
    if (successor !== undefined) {
      this.refused.delete(successor.key);
      this.logger.info(
        { target: successor.description, identifier },
        'identifier free again: admitting the target that waited for it',
      );
      await this.addNow(successor.target);
    }
  }

  private admit(target: LbTarget): void {
    this.admitted.set(target.identifier, { target, state: 'pending', reason: 'not routed yet' });
    this.identifierByKey.set(target.key, target.identifier);
  }

  private refuse(refused: Refused): void {
    this.refused.set(refused.key, refused);
    this.logger.error({ target: refused.description, reason: refused.reason }, 'NSP target refused');
  }

  /** Installs the routes of these pending targets, then activates every one that could be routed. */
  private async bringUp(identifiers: readonly number[]): Promise<void> {
    const routed: Admitted[] = [];
    for (const identifier of identifiers) {
      const entry = this.admitted.get(identifier);
      if (entry === undefined || entry.state !== 'pending') continue;
      try {
        await this.install(entry.target);
        routed.push(entry);
      } catch (error) {
        const reason = messageOf(error);
        // The first failure and every new reason are worth a line; the same one again on each retry is not.
        const level = entry.reason === reason ? 'debug' : 'warn';
        entry.reason = reason;
        this.logger[level](
          { target: entry.target.description, reason },
          'target cannot be routed yet; retrying',
        );
      }
    }
    if (routed.length === 0) return;
    for (const entry of routed) entry.state = 'active';
    try {
      await this.publish();
    } catch (error) {
      for (const entry of routed) {
        entry.state = 'pending';
        entry.reason = `activating it failed: ${messageOf(error)}`;
      }
      this.logger.warn({ error: messageOf(error) }, 'activating targets failed; retrying');
      return;
    }
    for (const entry of routed) {
      entry.reason = undefined;
      this.logger.info(
        { target: entry.target.description, table: tableOf(this.options.range, entry.target.identifier) },
        'target activated',
      );
    }
  }

  private async install(target: LbTarget): Promise<void> {
    const { routing, range } = this.options;
    const table = tableOf(range, target.identifier);
    for (const gateway of target.gateways) {
      await routing.addRule(gateway.family, table);
      await routing.replaceDefaultRoute(gateway.family, table, gateway.address);
      await routing.flushNeighbour(gateway.address);
    }
  }

  /** Best effort: a failure is logged and the rest is still removed. */
  private async uninstall(target: LbTarget): Promise<void> {
    const { routing, range } = this.options;
    const table = tableOf(range, target.identifier);
    for (const gateway of target.gateways) {
      for (const [what, step] of [
        ['route', () => routing.deleteDefaultRoute(gateway.family, table)],
        ['rule', () => routing.deleteRule(gateway.family, table)],
      ] as const) {
        try {
          await step();
        } catch (error) {
          this.logger.warn(
            { target: target.description, table, error: messageOf(error) },
            `removing the target's ${what} failed`,
          );
        }
      }
    }
  }

  private publish(): Promise<void> {
    return this.options.activation.setActive(this.identifiersIn('active'));
  }

  private identifiersIn(state: TargetState): number[] {
    return [...this.admitted.values()]
      .filter((entry) => entry.state === state)
      .map((entry) => entry.target.identifier)
      .sort((a, b) => a - b);
  }
}
