import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import pino from 'pino';

export const silent = pino({ level: 'silent' });

/** A fresh directory for sockets and databases. */
export function scratch(prefix: string): {
  dir: string;
  path(name: string): string;
  socket(name: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), `meridio-${prefix}-`));
  return {
    dir,
    path: (name) => join(dir, name),
    socket: (name) => `unix://${join(dir, name)}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Polls `check` until it holds; the deadline only bounds a hang, it asserts nothing about speed. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** Reads `count` values from an iterator. */
export async function take<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const values: T[] = [];
  while (values.length < count) {
    const result = await iterator.next();
    if (result.done) throw new Error(`the stream ended after ${values.length} of ${count} values`);
    values.push(result.value);
  }
  return values;
}

/** The grpc.health.v1 status of the server at `target` ('' = the server as a whole). */
export function healthStatus(target: string, service = ''): Promise<string> {
  const definition = protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String });
  const api = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: {
      health: { v1: { Health: new (target: string, credentials: grpc.ChannelCredentials) => grpc.Client } };
    };
  };
  const client = new api.grpc.health.v1.Health(target, grpc.credentials.createInsecure()) as grpc.Client & {
    Check(
      request: { service: string },
      callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
    ): void;
  };
  return new Promise((resolvePromise, reject) => {
    client.Check({ service }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolvePromise(response?.status ?? 'UNKNOWN');
    });
  });
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/**
 * The built command. `make test` runs `make build` (tsc -p tsconfig.json) before jest, so the
 * child processes run the compiled JavaScript with plain node: there is no TypeScript loader.
 */
export const MERIDIO_BIN = join(REPO, 'dist', 'bin', 'meridio.js');

export interface MeridioProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

const running = new Set<MeridioProcess>();

/** Kills every process spawned by this test file that still runs (call it in afterAll). */
export async function killSpawned(): Promise<void> {
  const left = [...running];
  for (const process of left) process.kill('SIGKILL');
  await Promise.all(left.map((process) => process.exited));
}

export function spawnMeridio(args: readonly string[], env: Record<string, string> = {}): MeridioProcess {
  if (!existsSync(MERIDIO_BIN)) {
    throw new Error(`${MERIDIO_BIN} is missing: run "make build" first (make test does)`);
  }
  const child = spawn(process.execPath, [MERIDIO_BIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const spawned: MeridioProcess = {
    child,
    exited,
    output: () => text,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  running.add(spawned);
  void exited.then(() => running.delete(spawned));
  return spawned;
}

/** Waits until the process's gRPC server answers health checks with SERVING. */
export async function serving(process: MeridioProcess, target: string): Promise<void> {
  await eventually(async () => {
    if (process.child.exitCode !== null) throw new Error(`meridio exited early:\n${process.output()}`);
    return healthStatus(target).then(
      (status) => status === 'SERVING',
      () => false,
    );
  }, `meridio serving on ${target}`);
}
