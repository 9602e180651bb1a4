/**
 * The life of every `meridio <component>` process, written once: read the settings (`--help`, or one
 * sentence and exit 2 for a bad one), start the parts in order, run until SIGTERM or SIGINT, stop the
 * parts in reverse order. A part that fails to start stops the ones started before it, so a process
 * that cannot start leaves nothing behind. The process's own modules are loaded by `start` (dynamic
 * import), so `--help` and a bad setting answer without loading gRPC, netlink or SQLite.
 */
import type { LevelWithSilent, Logger } from 'pino';

import { messageOf } from '../core/errors.js';
import { EXIT_BAD_SETTINGS, loadSettings, type Output } from '../settings/load.js';
import type { HelpText } from '../settings/help.js';
import { SettingsError, type SettingsSpec, type SettingsValues } from '../settings/parse.js';
import { waitForTermination } from '../settings/termination.js';

/** Exit code of a process that could not start (its settings were fine). */
export const EXIT_CANNOT_START = 1;
/** Exit code of a process some part of which failed to stop cleanly (the error is logged). */
export const EXIT_CANNOT_STOP = 1;

export interface ProcessRun<V> {
  readonly settings: V;
  readonly env: NodeJS.ProcessEnv;
  /** The process's logger; `nameLogger` replaces it with one that carries the process's name. */
  readonly logger: Logger;
  /** Adds `fields` (e.g. `{ proxy: name }`) to every later log line, and returns the new logger. */
  nameLogger(fields: Record<string, unknown>): Logger;
  /**
   * Registers how to stop a part just started; parts stop in reverse order of registration. A stop
   * that throws is logged, the others still run, and the process exits 1.
   */
  onStop(part: string, stop: () => unknown): void;
}

export interface ProcessDefinition<S extends SettingsSpec> {
  /** `nsp`: the logger's component, and the prefix of messages on stderr (`meridio nsp: …`). */
  readonly component: string;
  readonly settings: S;
  readonly help: HelpText;
  /**
   * Starts the process's parts, registering each with `onStop`. Throws a `SettingsError` for a value
   * that parsed but cannot be used (exit 2), anything else when a part cannot start (exit 1).
   */
  start(run: ProcessRun<SettingsValues<S>>): Promise<void>;
  /** The log line at termination (default "stopping"). */
  readonly stoppingMessage?: string;
}

export interface ProcessIo {
  readonly stdout: Output;
  readonly stderr: Output;
  /** Resolves with the signal that ends the process (SIGTERM or SIGINT by default). */
  readonly termination?: () => Promise<string>;
}

type LoggedSettings = { readonly logLevel: LevelWithSilent };

export async function runProcess<S extends SettingsSpec>(
  definition: ProcessDefinition<S> & { settings: S & { logLevel: unknown } },
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: ProcessIo = process,
): Promise<number> {
  const loaded = loadSettings(definition.settings, argv, env, definition.help, io);
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  const { createLogger } = await import('../log/index.js');
  let logger = createLogger(definition.component, (settings as unknown as LoggedSettings).logLevel);
  const stops: { part: string; stop: () => unknown }[] = [];
  /** Stops every part started so far, newest first; returns the parts that failed to stop. */
  const stopAll = async (): Promise<string[]> => {
    const failed: string[] = [];
    for (const { part, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        // One part that fails to stop must not keep the others running.
        failed.push(part);
        logger.error({ part, error: messageOf(error) }, 'a part failed to stop');
      }
    }
    return failed;
  };
  const run: ProcessRun<SettingsValues<S>> = {
    settings,
    env,
    get logger() {
      return logger;
    },
    nameLogger: (fields) => (logger = logger.child(fields)),
    onStop: (part, stop) => void stops.push({ part, stop }),
  };
  try {
    await definition.start(run);
  } catch (error) {
    await stopAll();
    if (error instanceof SettingsError) {
      io.stderr.write(`${error.message}\n`);
      return EXIT_BAD_SETTINGS;
    }
    logger.fatal({ error: messageOf(error) }, 'cannot start');
    io.stderr.write(`meridio ${definition.component}: ${messageOf(error)}\n`);
    return EXIT_CANNOT_START;
  }
  // Signal handlers do not hold the event loop: a process whose parts are all waiting on timers or
  // retries (its NSM is away) must still run until it is told to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await (io.termination ?? waitForTermination)();
  logger.info({ signal }, definition.stoppingMessage ?? 'stopping');
  const failed = await stopAll();
  clearInterval(keepAlive);
  logger.info({ failedParts: failed }, 'stopped');
  // A process that could not remove what it made says so to its supervisor.
  return failed.length === 0 ? 0 : EXIT_CANNOT_STOP;
}
