/**
 * `meridio local <command>`: the whole of Meridio on one Linux host, every pod a network namespace.
 * See README.md in this folder.
 */
import { resolve } from 'node:path';

import { Code, codeOf, messageOf } from '../../sdk/core/index.js';
import { EXIT_BAD_SETTINGS, loadSettings, setting, type SettingsSpec } from '../../sdk/settings/index.js';
import { down } from './cli/down.js';
import { fetchStatus, rootProblem, stateDirSetting, type Io } from './cli/common.js';
import { logs } from './cli/logs.js';
import { scale } from './cli/scale.js';
import { formatStatus } from './cli/status-text.js';
import { traffic } from './cli/traffic.js';
import { up, upSettings } from './cli/up.js';
import { vip } from './cli/vip.js';
import { LocalUsageError } from './errors.js';
import { StatePaths } from './state-paths.js';
import { runSupervisor } from './supervisor.js';

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

function load<S extends SettingsSpec>(
  spec: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  usage: string,
  summary: string,
  io: Io,
) {
  return loadSettings(spec, argv, env, { usage: `meridio local ${usage}`, summary }, io);
}

/** Leading words before the first flag: `logs NAME`, `vip add CIDR`. */
function positional(argv: readonly string[], count: number): [string[], string[]] {
  const words: string[] = [];
  let index = 0;
  while (index < argv.length && words.length < count && !argv[index]!.startsWith('--'))
    words.push(argv[index++]!);
  return [words, argv.slice(index)];
}

async function dispatch(
  command: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: Io,
): Promise<number> {
  const stateDir = { stateDir: stateDirSetting(env) };
  const needsRoot = ['up', 'down', 'scale', 'traffic', 'supervise'].includes(command);
  const help = argv.includes('--help') || argv.includes('-h');
  if (needsRoot && !help) {
    const problem = rootProblem();
    if (problem !== undefined) throw new LocalUsageError(problem);
  }
  switch (command) {
    case 'up': {
      const loaded = load(
        upSettings(env),
        argv,
        env,
        'up [settings]',
        'Builds a local instance and waits until it is ready.',
        io,
      );
      return loaded.ok ? up(loaded.values, env, io) : loaded.exitCode;
    }
    case 'down': {
      const loaded = load(
        stateDir,
        argv,
        env,
        'down [settings]',
        'Removes every process, namespace and file of the instance; safe to repeat.',
        io,
      );
      return loaded.ok ? down(new StatePaths(resolve(loaded.values.stateDir)), io) : loaded.exitCode;
    }
    case 'status': {
      const spec = { ...stateDir, json: setting.boolean({ description: 'print JSON', default: false }) };
      const loaded = load(
        spec,
        argv,
        env,
        'status [--json]',
        'The instance: VIPs, external host, gateway, LBs, proxies, targets.',
        io,
      );
      if (!loaded.ok) return loaded.exitCode;
      const status = await fetchStatus(new StatePaths(resolve(loaded.values.stateDir)));
      io.stdout.write(loaded.values.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
      return 0;
    }
    case 'scale': {
      const spec = {
        ...stateDir,
        targets: setting.integer({ description: 'the number of targets wanted', default: undefined, min: 0 }),
        wait: setting.boolean({ description: 'wait until the targets are ready', default: true }),
        timeout: setting.duration({ description: 'how long to wait', default: 120_000 }),
      };
      const loaded = load(spec, argv, env, 'scale --targets N', 'Adds or removes targets.', io);
      if (!loaded.ok) return loaded.exitCode;
      const { values } = loaded;
      return scale(
        new StatePaths(resolve(values.stateDir)),
        values.targets,
        { wait: values.wait, timeoutMs: values.timeout },
        io,
      );
    }
    case 'traffic': {
      const spec = {
        ...stateDir,
        conns: setting.integer({ description: 'connections to each VIP', default: 100, min: 1, max: 10_000 }),
        duration: setting.duration({ description: 'how long the traffic runs', default: 5000, minMs: 1000 }),
        json: setting.boolean({ description: 'print JSON instead of a table', default: false }),
      };
      const loaded = load(
        spec,
        argv,
        env,
        'traffic [settings]',
        'ctraffic from the external host to every VIP.',
        io,
      );
      if (!loaded.ok) return loaded.exitCode;
      const { values } = loaded;
      return traffic(
        new StatePaths(resolve(values.stateDir)),
        { conns: values.conns, durationMs: values.duration, json: values.json },
        io,
      );
    }
    case 'logs': {
      const [[name], rest] = positional(argv, 1);
      const spec = {
        ...stateDir,
        lines: setting.integer({ description: 'only the last N lines (0: all)', default: 0, min: 0 }),
      };
      const loaded = load(
        spec,
        rest,
        env,
        'logs NAME [settings]',
        'The log of one process of the instance.',
        io,
      );
      if (!loaded.ok) return loaded.exitCode;
      return logs(new StatePaths(resolve(loaded.values.stateDir)), name, loaded.values.lines, io);
    }
    case 'vip': {
      const [[action, cidr], rest] = positional(argv, 2);
      const spec = {
        ...stateDir,
        wait: setting.boolean({
          description: 'wait until every target answers on every VIP',
          default: false,
        }),
        timeout: setting.duration({ description: 'how long to wait', default: 60_000 }),
      };
      const loaded = load(
        spec,
        rest,
        env,
        'vip add|remove CIDR [settings]',
        'Adds or removes a VIP in the configuration file.',
        io,
      );
      if (!loaded.ok) return loaded.exitCode;
      const { values } = loaded;
      return vip(
        new StatePaths(resolve(values.stateDir)),
        action,
        cidr,
        { wait: values.wait, timeoutMs: values.timeout },
        io,
      );
    }
    case 'supervise': {
      const loaded = load(
        stateDir,
        argv,
        env,
        'supervise --state-dir DIR',
        'The background daemon of an instance, started by "up".',
        io,
      );
      return loaded.ok
        ? runSupervisor(new StatePaths(resolve(loaded.values.stateDir)), env)
        : loaded.exitCode;
    }
    default:
      throw new LocalUsageError(`Unknown command "${command}": run "meridio local --help" for the commands.`);
  }
}

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
  try {
    return await dispatch(command, rest, env, io);
  } catch (error) {
    io.stderr.write(`meridio local ${command}: ${messageOf(error)}\n`);
    return codeOf(error) === Code.INVALID_ARGUMENT ? EXIT_BAD_SETTINGS : 1;
  }
}
