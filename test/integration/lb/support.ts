/** What the LB integration tests share: the NSM and NSP they run against, log capture, waiting. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino, { type Logger } from 'pino';

import { type RunningNsm, startNsm } from '../../../endpoints/nsm/index.js';
import { type RunningNspService, startNspService } from '../../../endpoints/nsp/index.js';
import { createNspClient, type NspClient, type NspTarget } from '../../../sdk/services/nsp/index.js';
import { targetAddresses } from '../lb-shared/topology.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A logger keeping its JSON lines (and echoing them to stderr when LB_TEST_LOG is set). */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const echo = process.env.LB_TEST_LOG !== undefined;
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as LogLine);
        if (echo) process.stderr.write(line);
      },
    },
  );
  return { logger, lines };
}

/** Polls `check` until it returns a value other than undefined/false, for up to `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The NSM (for the registry and connections) and the NSP, on unix sockets in a temporary directory. */
export interface Services {
  readonly dir: string;
  readonly nsm: RunningNsm;
  readonly nsp: RunningNspService;
  /** `unix:///…/nsp.sock` */
  readonly nspAddress: string;
  /** A client to register and unregister targets with. */
  readonly nspClient: NspClient;
  stop(): Promise<void>;
}

export async function startServices(prefix: string): Promise<Services> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const silent = pino({ level: 'silent' });
  const nsm = await startNsm({ socket: join(dir, 'nsm.sock'), logger: silent });
  const nspAddress = `unix://${join(dir, 'nsp.sock')}`;
  const nsp = await startNspService({
    listen: nspAddress,
    databasePath: ':memory:',
    keepaliveMs: 600_000,
    logger: silent,
  });
  const nspClient = createNspClient({ address: nspAddress });
  return {
    dir,
    nsm,
    nsp,
    nspAddress,
    nspClient,
    async stop() {
      nspClient.close();
      await nsp.stop();
      await nsm.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Target i as its proxy would register it at the NSP. */
export function nspTarget(i: number, identifier: string = String(i)): NspTarget {
  return { ips: targetAddresses(i).ips, context: { identifier } };
}
