/**
 * Driving `meridio local` from the e2e tests: each test file brings up its own instance (a unique
 * namespace prefix and state directory) through the real command, talks to it through the command and
 * its status, sends traffic from the instance's external host with the real ctraffic client, and always
 * takes it down again.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Statistics } from '../../clients/ctraffic/index.js';
import type { LocalStatus } from '../../endpoints/local/index.js';

export const MERIDIO_BIN = join(process.cwd(), 'dist', 'bin', 'meridio.js');
const NATIVE_ADDON = join(process.cwd(), 'build', 'Release', 'meridio_nfqueue.node');

/** Why the e2e tests cannot run here, or undefined: root, iproute2, iptables, conntrack. */
export function e2eUnavailableReason(): string | undefined {
  const uid = process.getuid?.();
  if (uid !== 0) return `they need root to create network namespaces, and run as uid ${uid}`;
  for (const command of ['ip', 'iptables', 'ip6tables', 'iptables-save']) {
    if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0)
      return `\`${command}\` is not installed`;
  }
  return undefined;
}

/** `describe` when the e2e tests can run, else `describe.skip` with the reason printed. */
export function describeE2e(what: string): jest.Describe {
  const reason = e2eUnavailableReason();
  if (reason === undefined) return describe;
  console.warn(`Skipping ${what}: ${reason}.`);
  return describe.skip;
}

/** Throws with what to do when the build the tests run is missing. */
export function requireBuild(): void {
  for (const path of [MERIDIO_BIN, NATIVE_ADDON]) {
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: build with "make build" (make test does) before the e2e tests`);
    }
  }
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of the commands: without jest's NODE_OPTIONS. */
function commandEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Runs `node dist/bin/meridio.js …args` (optionally inside a namespace) to its end; `signal` sends it
 * SIGINT (ctraffic then ends its run and reports).
 */
export function meridio(
  args: readonly string[],
  namespace?: string,
  signal?: AbortSignal,
): Promise<CommandResult> {
  const [command, argv] =
    namespace === undefined
      ? [process.execPath, [MERIDIO_BIN, ...args]]
      : ['ip', ['netns', 'exec', namespace, process.execPath, MERIDIO_BIN, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env: commandEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const interrupt = (): void => void child.kill('SIGINT');
    signal?.addEventListener('abort', interrupt, { once: true });
    child.once('error', reject);
    child.once('close', (code) => {
      signal?.removeEventListener('abort', interrupt);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface CtrafficOptions {
  /** `20.0.0.1:5000` or `[2000::1]:5000`. */
  readonly address: string;
  readonly nconn: number;
  readonly durationMs: number;
  readonly rate?: number;
  readonly newConnRate?: number;
  readonly connLifetimeMs?: number;
  /**
   * How long a connection waits for an echo before it counts as lost (default 3 s: on a loaded 2-core
   * machine a target's echo server can be off the CPU for over a second, which is not a lost connection;
   * a broken path stays broken far longer).
   */
  readonly readTimeoutMs?: number;
  /** Ends the run early (the report covers what was done). */
  readonly signal?: AbortSignal;
}

export interface LocalInstance {
  readonly stateDir: string;
  readonly prefix: string;
  /** `meridio local <args> --state-dir <dir>`. */
  local(...args: string[]): Promise<CommandResult>;
  status(): Promise<LocalStatus>;
  /** The ctraffic client in the external host's namespace, its report parsed. */
  ctraffic(options: CtrafficOptions): Promise<Statistics>;
  down(): Promise<CommandResult>;
}

export interface InstanceOptions {
  readonly lbs?: number;
  readonly proxies?: number;
  readonly targets?: number;
  readonly vips?: readonly string[];
}

/** A fresh prefix and state directory; nothing is started yet. */
export function newInstance(label: string): LocalInstance {
  const prefix = `${label}${randomBytes(3).toString('hex')}`;
  const stateDir = join(mkdtempSync(join(tmpdir(), `meridio-${label}-`)), 'state');
  const local = (...args: string[]): Promise<CommandResult> =>
    meridio(['local', ...args, '--state-dir', stateDir]);
  const instance: LocalInstance = {
    stateDir,
    prefix,
    local,
    async status() {
      const result = await local('status', '--json');
      if (result.code !== 0) throw new Error(`meridio local status failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as LocalStatus;
    },
    async ctraffic(options) {
      const result = await meridio(
        [
          'ctraffic',
          '--address',
          options.address,
          '--nconn',
          String(options.nconn),
          '--rate',
          String(options.rate ?? options.nconn),
          '--timeout',
          `${options.durationMs}ms`,
          '--new-conn-rate',
          String(options.newConnRate ?? 0),
          '--conn-lifetime',
          `${options.connLifetimeMs ?? 1000}ms`,
          '--read-timeout',
          `${options.readTimeoutMs ?? 3000}ms`,
          '--stats',
          'all',
        ],
        `${prefix}-ext`,
        options.signal,
      );
      if (result.code !== 0) throw new Error(`ctraffic failed: ${result.stderr}`);
      return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as Statistics;
    },
    down: () => local('down'),
  };
  return instance;
}

/** `meridio local up` with the given sizes; throws with its output when it fails. */
export async function bringUp(instance: LocalInstance, options: InstanceOptions = {}): Promise<number> {
  const started = Date.now();
  const args = [
    'up',
    '--prefix',
    instance.prefix,
    '--lbs',
    String(options.lbs ?? 2),
    '--proxies',
    String(options.proxies ?? 2),
    '--targets',
    String(options.targets ?? 4),
    '--vips',
    (options.vips ?? ['20.0.0.1/32', '2000::1/128']).join(','),
    '--timeout',
    '240s',
  ];
  const result = await instance.local(...args);
  if (result.code !== 0) {
    const logs = await instance.local('logs', 'supervisor', '--lines', '30');
    throw new Error(
      `meridio local up failed (${result.code}):\n${result.stdout}${result.stderr}\n${logs.stdout}`,
    );
  }
  return Date.now() - started;
}

export const VIP4 = '20.0.0.1:5000';
export const VIP6 = '[2000::1]:5000';

/** Network namespaces whose name starts with `prefix-`. */
export function namespacesWithPrefix(prefix: string): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));
}

/** Packets the gateway sent to each LB over its veth (the per-LB counters). */
export function gatewayTxPackets(prefix: string, lbs: readonly string[]): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const lb of lbs) {
    const out = spawnSync('ip', ['-n', `${prefix}-gw`, '-s', '-j', 'link', 'show', 'dev', lb], {
      encoding: 'utf8',
    });
    const [link] = JSON.parse(out.stdout) as { stats64: { tx: { packets: number } } }[];
    counters[lb] = link?.stats64.tx.packets ?? 0;
  }
  return counters;
}

/** Runs `fn` and also when it throws; for `afterAll` cleanups that must not hide the first failure. */
export async function settle(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    console.error(error);
  }
}

/**
 * What every component of the instance logged since `sinceMs` (epoch ms) at info level and above,
 * without the per-call lines, oldest first, the last `limit` lines: what a test prints when traffic
 * was lost, so a failure on CI says what the system saw and did at that moment.
 */
export function warningsSince(instance: LocalInstance, sinceMs: number, limit = 60): string[] {
  const dir = join(instance.stateDir, 'logs');
  if (!existsSync(dir)) return [];
  const lines: { time: number; text: string }[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.log'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const { level, time, msg, ...fields } = JSON.parse(line) as {
          level: number;
          time: string;
          msg: string;
        };
        const at = Date.parse(time);
        // Warnings, and what changed (info lines other than the per-call "request done").
        if (level < 30 || (level < 40 && msg === 'request done') || !(at >= sinceMs)) continue;
        if (file.startsWith('ctraffic-') && level < 40) continue;
        lines.push({
          time: at,
          text: `${time} ${file.replace(/\.log$/, '')}: ${msg} ${JSON.stringify(fields)}`,
        });
      } catch {
        // A line that is not a log record (a crash's stack): the component's own log shows it.
      }
    }
  }
  return lines
    .sort((a, b) => a.time - b.time)
    .slice(-limit)
    .map((line) => line.text);
}
