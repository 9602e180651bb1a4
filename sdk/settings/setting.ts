/**
 * One setting of a Meridio process: how to read it from text, its default and what it is for. The
 * builders below cover the kinds of values Meridio's images take; `parse` throws a plain Error whose
 * message completes the sentence "expected …".
 */
// The address parser's own module, not sdk/grpc's index: that loads grpc-js and every server and
// client module, which `meridio --help` and the local CLI do not need (see test/unit/startup).
import { parseServiceAddress } from '../grpc/address.js';
import { LOG_LEVELS, isLogLevel } from '../log/index.js';
import type { LevelWithSilent } from 'pino';

export interface Setting<T> {
  readonly description: string;
  /** Undefined: the setting is required. */
  readonly defaultValue: T | undefined;
  /** Placeholder shown in `--help` (`<duration>`). */
  readonly placeholder: string;
  /** A switch may be given as a bare flag (`--flag` means true). */
  readonly isSwitch: boolean;
  /** Reads a value; throws an Error whose message says what was expected. */
  parse(text: string): T;
  format(value: T): string;
}

interface Common<T> {
  readonly description: string;
  readonly default?: T;
}

function define<T>(
  options: Common<T>,
  placeholder: string,
  parse: (text: string) => T,
  format: (value: T) => string = String,
  isSwitch = false,
): Setting<T> {
  return Object.freeze({
    description: options.description,
    defaultValue: options.default,
    placeholder,
    isSwitch,
    parse,
    format,
  });
}

function expected(what: string): Error {
  return new Error(what);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations as Meridio's images take them (`60s`, `1m30s`, `500ms`), in milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? NaN);
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length || !Number.isFinite(total)) {
    throw expected('a duration such as 60s, 1m30s or 500ms');
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export const setting = {
  string(
    options: Common<string> & { readonly allowEmpty?: boolean; readonly placeholder?: string },
  ): Setting<string> {
    return define(options, `<${options.placeholder ?? 'text'}>`, (text) => {
      if (text === '' && !options.allowEmpty) throw expected('a non-empty text');
      return text;
    });
  },

  integer(options: Common<number> & { readonly min?: number; readonly max?: number }): Setting<number> {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    return define(options, '<integer>', (text) => {
      const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw expected(`an integer from ${min} to ${max}`);
      }
      return value;
    });
  },

  /** A duration in milliseconds, written as Go writes durations. */
  duration(options: Common<number> & { readonly minMs?: number }): Setting<number> {
    const minMs = options.minMs ?? 0;
    return define(
      options,
      '<duration>',
      (text) => {
        const value = parseDuration(text);
        if (value < minMs) throw expected(`a duration of at least ${formatDuration(minMs)}`);
        return value;
      },
      formatDuration,
    );
  },

  boolean(options: Common<boolean>): Setting<boolean> {
    return define(
      options,
      '',
      (text) => {
        const value = text.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(value)) return true;
        if (['false', '0', 'no', 'off'].includes(value)) return false;
        throw expected('true or false');
      },
      String,
      true,
    );
  },

  oneOf<const V extends string>(options: Common<V> & { readonly values: readonly V[] }): Setting<V> {
    return define(options, `<${options.values.join('|')}>`, (text) => {
      const value = options.values.find((candidate) => candidate === text.trim());
      if (value === undefined) throw expected(`one of ${options.values.join(', ')}`);
      return value;
    });
  },

  /** A comma-separated list; every item goes through `item`. */
  list<T>(options: Common<readonly T[]> & { readonly item: Setting<T> }): Setting<readonly T[]> {
    return define(
      options,
      `${options.item.placeholder},…`,
      (text) => {
        const items = text
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '');
        return Object.freeze(
          items.map((item) => {
            try {
              return options.item.parse(item);
            } catch (error) {
              throw expected(`a comma-separated list of ${(error as Error).message} ("${item}" is not)`);
            }
          }),
        );
      },
      (values) => values.map((value) => options.item.format(value)).join(','),
    );
  },

  /** A gRPC service address: `host:port`, `[v6]:port` or `unix:///path`. */
  serviceAddress(options: Common<string>): Setting<string> {
    return define(options, '<address>', (text) => {
      try {
        return parseServiceAddress(text).target;
      } catch {
        throw expected('host:port, [ipv6]:port or unix:///absolute/path');
      }
    });
  },

  logLevel(options: Common<LevelWithSilent>): Setting<LevelWithSilent> {
    return define(options, '<level>', (text) => {
      const value = text.trim().toLowerCase();
      if (!isLogLevel(value)) throw expected(`one of ${LOG_LEVELS.join(', ')}`);
      return value;
    });
  },
};
