/**
 * Which removed target held each connection it took with it. A target's ctraffic server logs the peers
 * of its open connections when it stops ("stopping", `open`); a connection accepted by a leaving target
 * just before the LBs learned it left meets another target's reset before any reply named its host, so
 * the client alone cannot tell whose it was.
 */
import { existsSync, readFileSync } from 'node:fs';

import { ctrafficName } from './plan.js';
import { StatePaths } from './state-paths.js';

/** Peer (`address:port`, as the client names its own end) → the target whose server held it at stop. */
export function connectionsHeldAtStop(stateDir: string, targets: Iterable<string>): Map<string, string> {
  const paths = new StatePaths(stateDir);
  const holder = new Map<string, string>();
  for (const target of targets) {
    const file = paths.log(ctrafficName(target));
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"stopping"')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; open?: string[] };
        if (entry.msg === 'stopping') for (const peer of entry.open ?? []) holder.set(peer, target);
      } catch {
        // Not a log record (a supervisor's note): nothing to attribute.
      }
    }
  }
  return holder;
}
