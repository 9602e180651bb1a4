/**
 * The commands of `meridio local` after its usage: settings, then the command's own module, loaded
 * only when it is the one chosen, so that `status` or `vip add` do not first load what `up` or the
 * supervisor need (the kernel bindings, the whole of Meridio's processes).
 */
import { resolve } from 'node:path';

import { Code, codeOf, messageOf } from '../../../sdk/core/index.js';
import { EXIT_BAD_SETTINGS, loadSettings, setting, type SettingsSpec } from '../../../sdk/settings/index.js';
import { LocalUsageError } from '../errors.js';
import { StatePaths } from '../state-paths.js';
import { fetchStatus, rootProblem, stateDirSetting, type Io } from './common.js';

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
      const { up, upSettings } = await import('./up.js');
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
      if (!loaded.ok) return loaded.exitCode;
      const { down } = await import('./down.js');
      return down(new StatePaths(resolve(loaded.values.stateDir)), io);
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
      const { formatStatus } = await import('./status-text.js');
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
      const { scale } = await import('./scale.js');
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
      const { traffic } = await import('./traffic.js');
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
      const { logs } = await import('./logs.js');
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
      const { vip } = await import('./vip.js');
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
      if (!loaded.ok) return loaded.exitCode;
      const { runSupervisor } = await import('../supervisor.js');
      return runSupervisor(new StatePaths(resolve(loaded.values.stateDir)), env);
    }
    default:
      throw new LocalUsageError(`Unknown command "${command}": run "meridio local --help" for the commands.`);
  }
}

/** Runs `command` with its arguments; a failure is one line on stderr and the exit code. */
export async function runCommand(
  command: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: Io,
): Promise<number> {
  try {
    return await dispatch(command, argv, env, io);
  } catch (error) {
    io.stderr.write(`meridio local ${command}: ${messageOf(error)}\n`);
    return codeOf(error) === Code.INVALID_ARGUMENT ? EXIT_BAD_SETTINGS : 1;
  }
}
