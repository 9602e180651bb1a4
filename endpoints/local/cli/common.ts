/** What every `meridio local` command shares: the state directory, the control socket, output. */
import { setting, type Setting } from '../../../sdk/settings/index.js';
import { controlRequest } from '../control.js';
import { LocalNotUpError } from '../errors.js';
import { defaultStateDir, StatePaths } from '../state-paths.js';
import type { LocalStatus } from '../status.js';

export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface Io {
  readonly stdout: Output;
  readonly stderr: Output;
}

export function stateDirSetting(env: Readonly<Record<string, string | undefined>>): Setting<string> {
  return setting.string({
    placeholder: 'path',
    description: "the instance's state directory: sockets, databases, configuration file, logs",
    default: defaultStateDir(env),
  });
}

export function notUp(paths: StatePaths): LocalNotUpError {
  return new LocalNotUpError(
    `Meridio local is not up in ${paths.dir}: start it with "meridio local up"` +
      (paths.dir === defaultStateDir(process.env) ? '' : ` --state-dir ${paths.dir}`) +
      '.',
  );
}

export async function fetchStatus(paths: StatePaths): Promise<LocalStatus> {
  try {
    return await controlRequest<LocalStatus>(paths.controlSocket, 'GET', '/status');
  } catch (error) {
    if (error instanceof LocalNotUpError) throw notUp(paths);
    throw error;
  }
}

/** Why the command cannot work here, or undefined: namespaces need root. */
export function rootProblem(): string | undefined {
  const uid = process.getuid?.();
  return uid === 0
    ? undefined
    : `meridio local needs root (it creates network namespaces, veths and routes), and runs as uid ${uid}.`;
}
