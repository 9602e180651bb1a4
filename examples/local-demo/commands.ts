/**
 * The demo drives Meridio through its command line, as a person would: each command is shown, its
 * output passed through (or kept, for the reports the demo reads), and it runs to its end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/bin/meridio.js, from dist/examples/local-demo/. */
export const MERIDIO_BIN = fileURLToPath(new URL('../../bin/meridio.js', import.meta.url));

export interface CommandOptions {
  /** Run inside this network namespace (`ip netns exec`). */
  readonly namespace?: string;
  /** Pass the command's output through to the terminal (default: keep it). */
  readonly show?: boolean;
  /** SIGINT when aborted (ctraffic then reports what it did). */
  readonly signal?: AbortSignal;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function meridio(args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const argv = [process.execPath, MERIDIO_BIN, ...args];
  const [command, rest] =
    options.namespace === undefined
      ? [argv[0]!, argv.slice(1)]
      : ['ip', ['netns', 'exec', options.namespace, ...argv]];
  if (options.show) process.stdout.write(`\n$ meridio ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, { stdio: ['ignore', options.show ? 'inherit' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.show) process.stderr.write(chunk);
    });
    const interrupt = (): void => void child.kill('SIGINT');
    options.signal?.addEventListener('abort', interrupt, { once: true });
    child.once('error', reject);
    child.once('close', (code) => {
      options.signal?.removeEventListener('abort', interrupt);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
