/** The embedded NSM as a child process (`node dist/bin/meridio.js nsm`), as `meridio local up` runs it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const MERIDIO_BIN = join(process.cwd(), 'dist', 'bin', 'meridio.js');

export interface NsmProcess {
  readonly child: ChildProcess;
  /** Everything it wrote (JSON log lines). */
  output(): string;
  /** SIGKILL: no cleanup of any kind, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts `meridio nsm --socket <socket> …args` and resolves once it logs that it serves (at level info). */
export async function startNsmProcess(socket: string, args: readonly string[] = []): Promise<NsmProcess> {
  if (!existsSync(MERIDIO_BIN)) {
    throw new Error(
      `${MERIDIO_BIN} is missing: build with "make build" (make test does) before running this test`,
    );
  }
  const child = spawn(process.execPath, [MERIDIO_BIN, 'nsm', '--socket', socket, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (output.includes('"NSM serving"')) {
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) =>
      reject(new Error(`meridio nsm exited with ${code} before serving:\n${output}`)),
    );
  });
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { child, output: () => output, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
