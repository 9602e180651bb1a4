/**
 * One process of the instance, kept running as kubelet keeps a container running: started in its
 * network namespace (`ip netns exec`, which execs, so the pid is the process's own), its output appended
 * to its log, and restarted with a doubling backoff when it dies — reset once it has run for a while.
 * `stop` sends SIGTERM and, after the grace period, SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

import type { Logger } from 'pino';

export interface ProcessSpec {
  /** Unique in the instance: `nsp`, `lb-1`, `target-3`, `ctraffic-target-3`… */
  readonly name: string;
  /** The network namespace to run in; undefined: the supervisor's own. */
  readonly namespace?: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  /**
   * The readiness probe: the process is ready once it has logged a line containing this since its
   * latest start (each component logs one when it serves). Undefined: ready while running.
   */
  readonly readyLine?: string;
}

export interface RestartPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A run at least this long resets the delay to the initial one. */
  readonly resetAfterMs: number;
  /** Between SIGTERM and SIGKILL on stop. */
  readonly graceMs: number;
}

/** What the supervisor's notes in a process's log carry, so the readiness probe skips them. */
const NOTE_MARK = '"component":"supervisor"';

export const DEFAULT_RESTART_POLICY: RestartPolicy = Object.freeze({
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  resetAfterMs: 10_000,
  graceMs: 5000,
});

export interface ProcessEvents {
  onStart?(name: string, pid: number): void;
  onExit?(name: string, code: number | null, signal: NodeJS.Signals | null): void;
}

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private exited: Promise<void> = Promise.resolve();
  private startedAt = 0;
  /** Where the current run's output starts in the log, and how far the readiness probe has read. */
  private scanFrom = 0;
  private readySeen = false;
  restarts = 0;

  constructor(
    readonly spec: ProcessSpec,
    private readonly logger: Logger,
    private readonly events: ProcessEvents = {},
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    this.delayMs = policy.initialDelayMs;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** When the current run started (ms since the epoch), 0 when not running. */
  get since(): number {
    return this.child === undefined ? 0 : this.startedAt;
  }

  /** Running, and (with a `readyLine`) that line logged since the latest start. */
  get ready(): boolean {
    if (this.child === undefined) return false;
    if (this.spec.readyLine === undefined || this.readySeen) return true;
    this.readySeen = this.scanLog(this.spec.readyLine);
    return this.readySeen;
  }

  start(): void {
    this.stopping = false;
    this.spawnOnce();
  }

  /** SIGTERM, SIGKILL after the grace period; resolves when the process is gone. No restart follows. */
  async stop(graceMs = this.policy.graceMs): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private spawnOnce(): void {
    const { spec } = this;
    const command = spec.namespace === undefined ? spec.command : 'ip';
    const args =
      spec.namespace === undefined
        ? spec.args
        : ['netns', 'exec', spec.namespace, spec.command, ...spec.args];
    const log = openSync(spec.logFile, 'a');
    this.scanFrom = fstatSync(log).size;
    this.readySeen = false;
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env: { ...spec.env }, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.startedAt = Date.now();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.child = undefined;
        this.note(`exited (${signal ?? `code ${code}`})`);
        this.events.onExit?.(spec.name, code, signal);
        resolve();
        if (!this.stopping) this.scheduleRestart(code, signal);
      });
    });
    child.once('error', (error) => this.logger.error({ process: spec.name, err: error }, 'cannot start'));
    if (child.pid !== undefined) {
      this.note(`started with pid ${child.pid}`);
      this.events.onStart?.(spec.name, child.pid);
    }
  }

  private scheduleRestart(code: number | null, signal: NodeJS.Signals | null): void {
    if (Date.now() - this.startedAt >= this.policy.resetAfterMs) this.delayMs = this.policy.initialDelayMs;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.policy.maxDelayMs, this.delayMs * 2);
    this.logger.warn(
      { process: this.spec.name, code, signal, restartInMs: delay },
      'process died; restarting',
    );
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      this.spawnOnce();
    }, delay);
  }

  private scanLog(line: string): boolean {
    let fd: number;
    try {
      fd = openSync(this.spec.logFile, 'r');
    } catch {
      return false;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.scanFrom) return false;
      const buffer = Buffer.alloc(size - this.scanFrom);
      readSync(fd, buffer, 0, buffer.length, this.scanFrom);
      // The supervisor's own notes in the log do not count.
      const found = buffer
        .toString('utf8')
        .split('\n')
        .some((entry) => entry.includes(line) && !entry.includes(NOTE_MARK));
      if (found) return true;
      // Next time, read on from here, keeping enough to catch a line cut at the end.
      this.scanFrom = Math.max(this.scanFrom, size - Buffer.byteLength(line));
      return false;
    } finally {
      closeSync(fd);
    }
  }

  /** A line in the process's own log, so `meridio local logs` shows starts and exits in place. */
  private note(message: string): void {
    try {
      const log = openSync(this.spec.logFile, 'a');
      writeSync(
        log,
        `${JSON.stringify({ time: new Date().toISOString(), component: 'supervisor', process: this.spec.name, msg: message })}\n`,
      );
      closeSync(log);
    } catch {
      // The log directory is gone (down in progress): nothing to note.
    }
  }
}
