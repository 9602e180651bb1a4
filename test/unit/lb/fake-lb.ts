/**
 * Fakes of the LB's kernel side for unit tests: a routing table that only accepts gateways on
 * "connected" addresses (as the kernel refuses an unreachable gateway), and a data path that records
 * what was activated. Both write into one call log, so tests can check the order across them.
 */
import pino, { type Logger } from 'pino';

import type { IpFamily } from '../../../sdk/kernel/index.js';
import type { TargetActivation, TargetRouting } from '../../../endpoints/lb/index.js';

export type Call = string;

export class FakeRouting implements TargetRouting {
  readonly rules = new Set<string>();
  /** `family/table` → gateway. */
  readonly routes = new Map<string, string>();
  /** Gateways the fake kernel can reach. */
  readonly connected = new Set<string>();
  /** Rules and routes an earlier run left. */
  leftovers = 0;

  constructor(private readonly log: Call[]) {}

  async addRule(family: IpFamily, table: number): Promise<void> {
    this.log.push(`rule+ v${family} ${table}`);
    this.rules.add(`${family}/${table}`);
  }

  async replaceDefaultRoute(family: IpFamily, table: number, gateway: string): Promise<void> {
    if (!this.connected.has(gateway)) {
      this.log.push(`route! v${family} ${table} ${gateway}`);
      throw new Error(
        `Cannot replace route default via ${gateway}: the network is unreachable (ENETUNREACH).`,
      );
    }
    this.log.push(`route+ v${family} ${table} ${gateway}`);
    this.routes.set(`${family}/${table}`, gateway);
  }

  async flushNeighbour(address: string): Promise<void> {
    this.log.push(`flush ${address}`);
  }

  async hasDefaultRoute(family: IpFamily, table: number, gateway: string): Promise<boolean> {
    return this.routes.get(`${family}/${table}`) === gateway;
  }

  async deleteDefaultRoute(family: IpFamily, table: number): Promise<void> {
    this.log.push(`route- v${family} ${table}`);
    this.routes.delete(`${family}/${table}`);
  }

  async deleteRule(family: IpFamily, table: number): Promise<void> {
    this.log.push(`rule- v${family} ${table}`);
    this.rules.delete(`${family}/${table}`);
  }

  async removeAll(first: number, last: number): Promise<number> {
    this.log.push(`removeAll ${first}-${last}`);
    const removed = this.leftovers + this.rules.size + this.routes.size;
    this.leftovers = 0;
    this.rules.clear();
    this.routes.clear();
    return removed;
  }

  /** What a link going away does: the routes through that gateway go with it. */
  disconnect(gateway: string): void {
    this.connected.delete(gateway);
    for (const [key, via] of this.routes) if (via === gateway) this.routes.delete(key);
  }
}

export class FakeActivation implements TargetActivation {
  active: readonly number[] = [];
  failNext = 0;

  constructor(private readonly log: Call[]) {}

  async setActive(identifiers: readonly number[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      this.log.push(`activate! [${identifiers.join(',')}]`);
      throw new Error('the flow table is busy');
    }
    this.log.push(`activate [${identifiers.join(',')}]`);
    this.active = [...identifiers];
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

export const PINO_ERROR = 50;
export const PINO_WARN = 40;
