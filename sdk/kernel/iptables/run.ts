import { spawn } from 'node:child_process';
import { Code } from '../../core/index.js';
import { IptablesError } from './errors.js';

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command, in a named network namespace through `ip netns exec` when one is given. Resolves
 * with the exit status (callers decide which statuses are failures); rejects only if it cannot start.
 */
export function runCommand(
  netns: string | undefined,
  argv: readonly string[],
  input?: string,
): Promise<CommandResult> {
  const [command, ...args] = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT';
      reject(
        new IptablesError(
          missing
            ? `The command "${command}" is not installed; the LB needs iptables with the nf_tables backend ` +
                `(Debian package "iptables").`
            : `The command "${command}" could not be started: ${error.message}.`,
          missing ? Code.FAILED_PRECONDITION : Code.INTERNAL,
          '',
          { cause: error },
        ),
      );
    });
    child.on('close', (status) =>
      resolve({
        status: status ?? -1,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      }),
    );
    child.stdin.on('error', () => undefined); // the exit status reports the failure
    child.stdin.end(input ?? '');
  });
}

/** Runs a command that must succeed. */
export async function runChecked(
  netns: string | undefined,
  argv: readonly string[],
  input?: string,
): Promise<string> {
  const result = await runCommand(netns, argv, input);
  if (result.status !== 0) {
    const where = netns === undefined ? '' : ` in network namespace ${netns}`;
    throw new IptablesError(
      `"${argv.join(' ')}"${where} failed with status ${result.status}: ${result.stderr.trim() || '(no output)'}`,
      result.stderr.includes('Permission denied') ? Code.PERMISSION_DENIED : Code.INTERNAL,
      result.stderr,
    );
  }
  return result.stdout;
}
