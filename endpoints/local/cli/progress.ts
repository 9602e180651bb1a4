/**
 * Waiting for an instance to be ready (after `up`, `scale`, `vip add --wait`), with a one-line
 * progress display: rewritten in place on a terminal, one line per change otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';

import { DeadlineExceededError, FailedPreconditionError } from '../../../sdk/core/index.js';
import { isInstanceProcess } from '../cleanup.js';
import type { StatePaths } from '../state-paths.js';
import type { LocalStatus } from '../status.js';
import { pause } from '../wait.js';
import { fetchStatus, type Output } from './common.js';
import { supervisorPid } from './supervisor-pid.js';

function count<T>(items: readonly T[], healthy: (item: T) => boolean): string {
  return `${items.filter(healthy).length}/${items.length}`;
}

export function progressLine(status: LocalStatus): string {
  const { targets } = status;
  const wanted = status.wantedTargets;
  return [
    `nsm/nsp/ipam ${count(status.services, (s) => s.healthy)}`,
    `LBs ${count(status.lbs, (lb) => lb.healthy)}`,
    `proxies ${count(status.proxies, (proxy) => proxy.healthy)}`,
    `targets ${targets.length}/${wanted} running, ${targets.filter((t) => t.registered).length}/${wanted} registered, ${targets.filter((t) => t.reachable).length}/${wanted} reachable`,
  ].join(' · ');
}

/** The components that are not healthy, for the message of a timeout. */
export function unhealthy(status: LocalStatus): string[] {
  return [...status.services, ...status.lbs, ...status.proxies, ...status.targets]
    .filter((item) => !item.healthy)
    .map((item) => item.name);
}

function tail(path: string, lines: number): string {
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export interface WaitReadyOptions {
  readonly timeoutMs: number;
  readonly output: Output;
  /** What is awaited, in the messages ("up", "the scale to 6 targets"). */
  readonly what: string;
  /** A further condition on the status (e.g. the new VIP is in force); default none. */
  readonly accept?: (status: LocalStatus) => boolean;
  /** The supervisor's pid when known (right after `up` its pid file may not be written yet). */
  readonly supervisor?: number;
}

/** Resolves with the ready status; FailedPrecondition when the instance failed, DeadlineExceeded on timeout. */
export async function waitReady(paths: StatePaths, options: WaitReadyOptions): Promise<LocalStatus> {
  const { output } = options;
  const started = Date.now();
  const tty = output.isTTY === true;
  let last = '';
  let status: LocalStatus | undefined;
  const show = (line: string, final = false): void => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    if (tty) output.write(`\r\x1b[K[${seconds}s] ${line}${final ? '\n' : ''}`);
    else if (line !== last) output.write(`[${seconds}s] ${line}\n`);
    last = line;
  };
  for (;;) {
    try {
      status = await fetchStatus(paths);
    } catch (error) {
      const alive =
        options.supervisor === undefined
          ? supervisorPid(paths) !== undefined
          : isInstanceProcess(options.supervisor, paths.dir);
      if (!alive) {
        if (tty) output.write('\n');
        throw new FailedPreconditionError(
          `The supervisor exited while waiting for ${options.what}. Its last lines:\n${tail(paths.log('supervisor'), 15)}`,
          { cause: error },
        );
      }
      // Still starting: its control socket is not there yet.
    }
    if (status !== undefined) {
      show(progressLine(status));
      if (status.phase === 'failed') {
        if (tty) output.write('\n');
        throw new FailedPreconditionError(
          `The instance failed: ${(status.failure ?? 'no reason given').replace(/\.$/, '')}. Inspect it with "meridio local logs supervisor", remove it with "meridio local down".`,
        );
      }
      if (status.ready && (options.accept?.(status) ?? true)) {
        show(progressLine(status), true);
        return status;
      }
    }
    if (Date.now() - started > options.timeoutMs) {
      if (tty) output.write('\n');
      const waiting = status === undefined ? [] : unhealthy(status);
      throw new DeadlineExceededError(
        `Not ready after ${Math.round(options.timeoutMs / 1000)} s while waiting for ${options.what}` +
          (waiting.length > 0
            ? `: not healthy yet: ${waiting.join(', ')}. See "meridio local logs <name>".`
            : '.'),
      );
    }
    await pause(250);
  }
}
