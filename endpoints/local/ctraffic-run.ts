/**
 * Runs the ctraffic client inside a namespace (`ip netns exec <ns> meridio ctraffic …`), as a user
 * would from the external host, and reads its JSON report.
 */
import { spawn } from 'node:child_process';

import type { Statistics } from '../../clients/ctraffic/index.js';
import type { Vip } from '../../sdk/config/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { UnavailableError } from '../../sdk/core/index.js';
import { MERIDIO_BIN } from './components.js';

export interface CtrafficRunOptions {
  readonly namespace: string;
  /** `host:port` / `[v6]:port`. */
  readonly address: string;
  readonly nconn: number;
  readonly durationMs: number;
  /** Total KB/s; default one 1 KiB packet per connection and second. */
  readonly rateKBps?: number;
  readonly newConnRate?: number;
  readonly connLifetimeMs?: number;
  readonly signal?: AbortSignal;
}

/** `20.0.0.1:5000`, `[2000::1]:5000`: the ctraffic port of a VIP. */
export function vipAddress(vip: Vip, port: number = DEFAULTS.ctrafficPort): string {
  return vip.family === 'ipv6' ? `[${vip.address}]:${port}` : `${vip.address}:${port}`;
}

export function ctrafficArgs(options: CtrafficRunOptions): string[] {
  return [
    'netns',
    'exec',
    options.namespace,
    process.execPath,
    MERIDIO_BIN,
    'ctraffic',
    '--address',
    options.address,
    '--nconn',
    String(options.nconn),
    '--timeout',
    `${Math.max(1, Math.round(options.durationMs))}ms`,
    '--rate',
    String(options.rateKBps ?? Math.max(1, options.nconn)),
    '--new-conn-rate',
    String(options.newConnRate ?? 0),
    '--conn-lifetime',
    `${options.connLifetimeMs ?? 1000}ms`,
    '--stats',
    'all',
    '--log-level',
    'warn',
  ];
}

/** Resolves with the report; UnavailableError with the client's output when it fails. */
export function runCtraffic(options: CtrafficRunOptions): Promise<Statistics> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ctrafficArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const abort = (): void => void child.kill('SIGINT');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.once('error', reject);
    child.once('exit', (code) => {
      options.signal?.removeEventListener('abort', abort);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(line) as Statistics);
      } catch (error) {
        reject(
          new UnavailableError(
            `ctraffic to ${options.address} from network namespace ${options.namespace} failed (${(error as Error).message}): ${stderr.trim() || stdout.trim()}`,
          ),
        );
      }
    });
  });
}
