/**
 * `meridio local <command>`: the whole of Meridio on one Linux host, every pod a network namespace.
 * See README.md in this folder.
 */
// Only what the usage needs: each command's module, and what it imports, is loaded when it is chosen.
import { EXIT_BAD_SETTINGS } from '../../sdk/settings/index.js';
import type { Io } from './cli/common.js';

const USAGE = `Usage: meridio local <command> [settings]

The whole of Meridio on this host: every pod a network namespace, an external host and a gateway
(multipath routes over the LBs) in front, nsm, nsp and ipam on unix sockets in the state directory.

Commands:
  up [--lbs 2] [--proxies 2] [--targets 4] [--vips 20.0.0.1/32,2000::1/128]
                        build it, start the supervisor in the background, wait until every target
                        is registered and reachable
  status [--json]       every process, its health, the targets' identifiers and addresses
  scale --targets N     add or remove targets (the newest go first), wait until ready
  traffic [--conns 100] [--duration 5s] [--json]
                        ctraffic from the external host to every VIP; connections per target, lost
  vip add|remove CIDR   change the VIPs in the configuration file; applied without restarts
  logs NAME [--lines N] the log of one process (supervisor, nsm, nsp, ipam, lb-1, proxy-1, target-1,
                        ctraffic-target-1, …)
  down                  stop every process, delete every namespace and file the instance made
  supervise             the background daemon "up" starts (not for direct use)

Every command takes --state-dir (default $XDG_RUNTIME_DIR/meridio-local or /run/meridio-local).
Run "meridio local <command> --help" for its settings. Needs root.
`;

export async function run(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: Io = process,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(USAGE);
    return command === undefined ? EXIT_BAD_SETTINGS : 0;
  }
  const { runCommand } = await import('./cli/dispatch.js');
  return runCommand(command, rest, env, io);
}
