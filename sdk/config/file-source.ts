import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import pino, { type Logger } from 'pino';

import { type Clock, type TimerHandle, systemClock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { Backoff } from './backoff.js';
import type { ConfigSource } from './source.js';
import { TrackedConfigSource } from './tracked-source.js';
import { ConfigTracker } from './tracker.js';

export interface FileConfigSourceOptions {
  /** The file holding the `meridio.conf` YAML (`vips: [...]`). Its directory must exist. */
  readonly path: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Quiet time after the last change event before the file is read. Default 50 ms. */
  readonly debounceMs?: number;
}

/**
 * The runtime configuration from a local file, re-read on every change. The directory is watched,
 * not the file: an atomic replace (write a temporary file, rename it over) and a Kubernetes
 * ConfigMap volume (a `..data` symlink swapped) both replace the inode a file watch would follow.
 * A missing file means no configuration yet; deleting it keeps the last configuration.
 */
export function fileConfigSource(options: FileConfigSourceOptions): ConfigSource {
  return new FileConfigSource(options);
}

class FileConfigSource extends TrackedConfigSource {
  private readonly path: string;
  private readonly directory: string;
  private readonly clock: Clock;
  private readonly debounceMs: number;
  private readonly backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
  private watcher: FSWatcher | undefined;
  private timer: TimerHandle | undefined;
  private reading: Promise<void> | undefined;
  private readAgain = false;

  constructor(options: FileConfigSourceOptions) {
    const path = resolve(options.path);
    const logger = (options.logger ?? pino({ level: 'silent' })).child({ configFile: path });
    super(new ConfigTracker(logger, `file ${path}`));
    this.path = path;
    this.directory = dirname(path);
    this.clock = options.clock ?? systemClock;
    this.debounceMs = options.debounceMs ?? 50;
    try {
      this.watcher = this.watchDirectory();
    } catch (error) {
      throw new InvalidArgumentError(
        `cannot watch the configuration file ${this.path}: its directory ${this.directory} cannot be watched (${String(error)})`,
        { cause: error },
      );
    }
    this.read();
  }

  protected async stopReading(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.reading;
  }

  private watchDirectory(): FSWatcher {
    // Any entry of the directory may be the file (renamed over it, or a symlink swapped under it);
    // reading an unchanged file costs little and the tracker ignores identical content.
    const watcher = watch(this.directory, { persistent: false }, () => this.schedule());
    watcher.on('error', (error) => this.rewatchAfter(error));
    return watcher;
  }

  /** The directory watch broke (e.g. the directory was removed): watch again, with backoff. */
  private rewatchAfter(error: unknown): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.closed) return;
    const delay = this.backoff.failure();
    this.tracker.failed(error, delay);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      try {
        this.watcher = this.watchDirectory();
        this.backoff.reset();
        this.read();
      } catch (retryError) {
        this.rewatchAfter(retryError);
      }
    }, delay);
  }

  private schedule(): void {
    if (this.closed || this.watcher === undefined) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.read();
    }, this.debounceMs);
  }

  /** One read at a time; a change during a read causes one more read after it. */
  private read(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readOnce().finally(() => {
      this.reading = undefined;
      if (this.readAgain && !this.closed) {
        this.readAgain = false;
        this.read();
      }
    });
  }

  private async readOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (this.closed) return;
      if (isErrno(error, 'ENOENT')) this.tracker.missing();
      // Not retried on a timer: the next change in the directory reads again.
      else this.tracker.failed(error, undefined);
      return;
    }
    if (!this.closed) this.tracker.accept(text);
  }
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
