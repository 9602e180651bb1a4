/** `meridio local scale --targets N`: the supervisor adds or removes targets; waits until they are ready. */
import { controlRequest } from '../control.js';
import type { StatePaths } from '../state-paths.js';
import { fetchStatus, type Io } from './common.js';
import { waitReady } from './progress.js';

export async function scale(
  paths: StatePaths,
  targets: number,
  options: { readonly wait: boolean; readonly timeoutMs: number },
  io: Io,
): Promise<number> {
  const before = await fetchStatus(paths);
  await controlRequest(paths.controlSocket, 'POST', '/scale', { targets });
  if (!options.wait) {
    io.stdout.write(`Scaling from ${before.targets.length} to ${targets} targets in the background.\n`);
    return 0;
  }
  io.stdout.write(`Scaling from ${before.targets.length} to ${targets} targets…\n`);
  const status = await waitReady(paths, {
    timeoutMs: options.timeoutMs,
    output: io.stdout,
    what: `the scale to ${targets} targets`,
  });
  io.stdout.write(
    `${status.targets.length} targets: ${status.targets.map((t) => t.name).join(', ') || '(none)'}.\n`,
  );
  return 0;
}
