/**
 * The supervisor's pid, in a module of its own: checking it goes through the clean-up module and so
 * the kernel bindings, which `status`, `logs` and `vip` (the commands through common.ts) do without.
 */
import { existsSync, readFileSync } from 'node:fs';

import { isInstanceProcess } from '../cleanup.js';
import type { StatePaths } from '../state-paths.js';

/** The supervisor's pid when it is alive, else undefined. */
export function supervisorPid(paths: StatePaths): number | undefined {
  if (!existsSync(paths.pidFile)) return undefined;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  return Number.isSafeInteger(pid) && pid > 0 && isInstanceProcess(pid, paths.dir) ? pid : undefined;
}
