/** `meridio local down`: the supervisor takes the instance down; whatever is left (a crashed supervisor's) goes too. */
import { existsSync } from 'node:fs';

import { isInstanceProcess, cleanupInstance } from '../cleanup.js';
import { controlRequest } from '../control.js';
import { readRecordedNamespaces } from '../resources.js';
import type { StatePaths } from '../state-paths.js';
import { pause } from '../wait.js';
import type { Io } from './common.js';
import { supervisorPid } from './supervisor-pid.js';

const SUPERVISOR_DOWN_TIMEOUT_MS = 60_000;

export async function down(paths: StatePaths, io: Io): Promise<number> {
  const pid = supervisorPid(paths);
  if (pid === undefined && !existsSync(paths.dir)) {
    io.stdout.write(`Nothing to take down: there is no Meridio local instance in ${paths.dir}.\n`);
    return 0;
  }
  const namespaces = readRecordedNamespaces(paths.resourcesFile).length;
  let crashed = pid === undefined;
  if (pid !== undefined) {
    io.stdout.write(`Taking Meridio local down (supervisor pid ${pid})…\n`);
    try {
      await controlRequest(paths.controlSocket, 'POST', '/down');
      for (let waited = 0; isInstanceProcess(pid, paths.dir); waited += 100) {
        if (waited > SUPERVISOR_DOWN_TIMEOUT_MS) {
          io.stderr.write(
            `The supervisor did not finish within ${SUPERVISOR_DOWN_TIMEOUT_MS / 1000} s: killing it.\n`,
          );
          process.kill(pid, 'SIGKILL');
          break;
        }
        await pause(100);
      }
    } catch (error) {
      io.stderr.write(
        `The supervisor does not answer (${(error as Error).message}); cleaning up without it.\n`,
      );
      crashed = true;
    }
  }
  const report = await cleanupInstance(paths);
  const parts = [
    crashed
      ? `removed what the instance left: ${report.processes} processes, ${report.namespaces.length} namespaces`
      : `${namespaces} namespaces and every process removed`,
  ];
  if (report.foreignFiles.length > 0) {
    parts.push(`${paths.dir} kept because it also holds ${report.foreignFiles.join(', ')}`);
  } else parts.push(`${paths.dir} removed`);
  io.stdout.write(`Meridio local is down: ${parts.join('; ')}.\n`);
  return 0;
}
