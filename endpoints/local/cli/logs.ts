/** `meridio local logs NAME`: the log of one process (its JSON lines and the supervisor's start/exit notes). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

import { LocalUsageError } from '../errors.js';
import type { StatePaths } from '../state-paths.js';
import { notUp, type Io } from './common.js';

export function logs(paths: StatePaths, name: string | undefined, lines: number, io: Io): number {
  if (!existsSync(paths.logDir)) throw notUp(paths);
  const available = readdirSync(paths.logDir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => file.slice(0, -'.log'.length))
    .sort();
  if (name === undefined || !available.includes(name)) {
    throw new LocalUsageError(
      `${name === undefined ? 'Name a process' : `There is no process "${name}"`}: the logs are of ${available.join(', ')}.`,
    );
  }
  const text = readFileSync(paths.log(name), 'utf8');
  io.stdout.write(lines > 0 ? `${text.trimEnd().split('\n').slice(-lines).join('\n')}\n` : text);
  return 0;
}
