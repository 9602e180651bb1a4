/** What `up` asked for, handed to the supervisor through the state directory. */
import { readFileSync, writeFileSync } from 'node:fs';

import type { LevelWithSilent } from 'pino';

import { isLogLevel } from '../../sdk/log/index.js';
import { LocalUsageError } from './errors.js';
import { checkSpec, type TopologySpec } from './plan.js';

export interface TopologyFile {
  readonly spec: TopologySpec;
  readonly logLevel: LevelWithSilent;
}

export function writeTopologyFile(path: string, topology: TopologyFile): void {
  writeFileSync(path, `${JSON.stringify(topology, null, 2)}\n`, { mode: 0o644 });
}

export function readTopologyFile(path: string): TopologyFile {
  let parsed: Partial<TopologyFile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<TopologyFile>;
  } catch (error) {
    throw new LocalUsageError(`Cannot read the topology ${path}: ${(error as Error).message}.`);
  }
  if (parsed.spec === undefined || typeof parsed.logLevel !== 'string' || !isLogLevel(parsed.logLevel)) {
    throw new LocalUsageError(`The topology ${path} is not one that "meridio local up" wrote.`);
  }
  return { spec: checkSpec(parsed.spec), logLevel: parsed.logLevel };
}
