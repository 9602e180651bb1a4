/**
 * The supervisor's parts against the real thing: child processes kept running with backoff and
 * readiness from their log, and the control API over a real unix socket.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import {
  controlRequest,
  LocalNotUpError,
  LocalUsageError,
  serveControl,
  SupervisedProcess,
  type LocalStatus,
  type ProcessSpec,
} from '../../../endpoints/local/index.js';

const silent = pino({ level: 'silent' });

function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`${what} did not happen within ${timeoutMs} ms`));
      else setTimeout(check, 20);
    };
    check();
  });
}

describe('SupervisedProcess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'supervised-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function spec(script: string, readyLine?: string): ProcessSpec {
    return {
      name: 'worker',
      command: process.execPath,
      args: ['-e', script],
      env: { PATH: process.env.PATH ?? '' },
      logFile: join(dir, 'worker.log'),
      ...(readyLine === undefined ? {} : { readyLine }),
    };
  }

  test('restarts a process that dies, with a doubling delay, and notes each start and exit in its log', async () => {
    const starts: number[] = [];
    const worker = new SupervisedProcess(
      spec('console.log("hello"); process.exit(3)'),
      silent,
      { onStart: () => starts.push(Date.now()) },
      { initialDelayMs: 50, maxDelayMs: 400, resetAfterMs: 60_000, graceMs: 1000 },
    );
    worker.start();
    await until('four starts', () => starts.length >= 4);
    await worker.stop();
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    // 50, 100, 200 ms of backoff (plus the time each run takes), each longer than the one before.
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! - 10);
    expect(gaps[2]!).toBeGreaterThanOrEqual(200);
    expect(worker.restarts).toBeGreaterThanOrEqual(3);
    const log = readFileSync(join(dir, 'worker.log'), 'utf8');
    expect(log).toContain('hello');
    expect(log).toMatch(/"process":"worker","msg":"started with pid \d+"/);
    expect(log).toContain('"msg":"exited (code 3)"');
  });

  test('is ready once its ready line is logged in the current run; stop ends it for good', async () => {
    const worker = new SupervisedProcess(
      spec('setTimeout(() => console.log("now serving"), 300); setInterval(() => {}, 1000)', 'now serving'),
      silent,
    );
    worker.start();
    expect(worker.running).toBe(true);
    expect(worker.ready).toBe(false);
    await until('ready', () => worker.ready);
    const pid = worker.pid!;
    process.kill(pid, 'SIGKILL');
    await until('a new run', () => worker.pid !== undefined && worker.pid !== pid);
    // The old run's line does not count for the new run until it logs its own.
    expect(worker.ready).toBe(false);
    await until('ready again', () => worker.ready);
    await worker.stop();
    expect(worker.running).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(worker.running).toBe(false);
  });

  test('a process that ignores SIGTERM is killed after the grace period', async () => {
    const worker = new SupervisedProcess(
      spec('process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)', 'up'),
      silent,
    );
    worker.start();
    await until('ready', () => worker.ready);
    const started = Date.now();
    await worker.stop(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(worker.running).toBe(false);
  });
});

describe('the control socket', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'control-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('answers status, scale and down; bad input is a 400 with the sentence', async () => {
    const path = join(dir, 'control.sock');
    const calls: string[] = [];
    const server = await serveControl(path, {
      status: () => ({ phase: 'running' }) as unknown as LocalStatus,
      scale: (targets) => {
        if (!Number.isInteger(targets)) throw new LocalUsageError('--targets must be a whole number.');
        calls.push(`scale ${targets}`);
      },
      down: () => calls.push('down'),
    });
    try {
      expect(await controlRequest<{ phase: string }>(path, 'GET', '/status')).toEqual({ phase: 'running' });
      expect(await controlRequest(path, 'POST', '/scale', { targets: 6 })).toEqual({ accepted: true });
      await expect(controlRequest(path, 'POST', '/scale', { targets: 'many' })).rejects.toThrow(
        '--targets must be a whole number.',
      );
      await expect(controlRequest(path, 'GET', '/nothing')).rejects.toThrow(
        'No such control request: GET /nothing.',
      );
      expect(await controlRequest(path, 'POST', '/down')).toEqual({ accepted: true });
      expect(calls).toEqual(['scale 6', 'down']);
    } finally {
      await server.close();
    }
    await expect(controlRequest(path, 'GET', '/status')).rejects.toThrow(LocalNotUpError);
  });
});
