/**
 * Removing an instance whatever state it is in: the processes that carry its state directory in their
 * environment (also orphans of a crashed supervisor), the namespaces it recorded, and the files it made
 * in the state directory (the directory too, once empty). Safe to run again; anything else found in the
 * state directory is left alone and reported.
 */
import { readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { deleteNamespace, namespaceExists } from '../../sdk/kernel/index.js';
import { INSTANCE_ENV, readRecordedNamespaces } from './resources.js';
import { STATE_ENTRIES, type StatePaths } from './state-paths.js';
import { pause } from './wait.js';

export interface CleanupReport {
  readonly processes: number;
  readonly namespaces: readonly string[];
  /** Entries of the state directory that were not the instance's and were left there. */
  readonly foreignFiles: readonly string[];
}

/** Pids of the processes of the instance in `stateDir` (never this process). */
export function instanceProcesses(stateDir: string): number[] {
  const marker = Buffer.from(`${INSTANCE_ENV}=${stateDir}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or a kernel thread.
    }
  }
  return pids;
}

/** Whether `pid` is alive and one of the instance's processes (not a recycled pid). */
export function isInstanceProcess(pid: number, stateDir: string): boolean {
  try {
    const marker = Buffer.from(`${INSTANCE_ENV}=${stateDir}\0`);
    return readFileSync(`/proc/${pid}/environ`).includes(marker);
  } catch {
    return false;
  }
}

async function killAll(stateDir: string): Promise<number> {
  const pids = instanceProcesses(stateDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (let waited = 0; waited < 5000 && instanceProcesses(stateDir).length > 0; waited += 50) await pause(50);
  return pids.length;
}

export async function cleanupInstance(paths: StatePaths): Promise<CleanupReport> {
  const processes = await killAll(paths.dir);
  const namespaces: string[] = [];
  for (const name of readRecordedNamespaces(paths.resourcesFile)) {
    if (namespaceExists(name) && deleteNamespace(name)) namespaces.push(name);
  }
  const foreignFiles: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(paths.dir);
  } catch {
    return { processes, namespaces, foreignFiles };
  }
  for (const entry of entries) {
    if (STATE_ENTRIES.some((pattern) => pattern.test(entry))) {
      rmSync(join(paths.dir, entry), { recursive: true, force: true });
    } else foreignFiles.push(entry);
  }
  if (foreignFiles.length === 0) rmdirSync(paths.dir);
  return { processes, namespaces, foreignFiles };
}
