import type { LevelWithSilent } from 'pino';

import { InvalidArgumentError } from '../../sdk/core/index.js';
import { parseServiceAddress } from '../../sdk/grpc/index.js';
import { isLogLevel } from '../../sdk/log/index.js';
import { parsePrefix } from '../../sdk/services/common/index.js';

/** Everything the example endpoint needs, validated once at start-up. */
export interface CustomEndpointConfig {
  /** Where the endpoint serves: `unix:///path` (or `host:port`). */
  readonly listen: string;
  /** The endpoint's path segment name. */
  readonly name: string;
  readonly networkService: string;
  /** Prefixes the point-to-point pairs come from (one IPv4 and/or one IPv6 for dual stack). */
  readonly prefixes: readonly string[];
  /** Written into every connection's extra_context. */
  readonly extraContext: Readonly<Record<string, string>>;
  /** How many connections the endpoint serves at once. */
  readonly maxConnections: number;
  readonly logLevel: LevelWithSilent;
}

/** The environment variables the example reads, with their defaults. */
export const ENVIRONMENT = {
  NSE_LISTEN: 'unix:///tmp/custom-endpoint.sock',
  NSE_NAME: 'custom-nse',
  NSE_SERVICE: 'custom-service',
  NSE_PREFIXES: '172.16.100.0/24,fd00:100::/64',
  NSE_EXTRA_CONTEXT: 'trench=trench-a,owner=custom-endpoint',
  NSE_MAX_CONNECTIONS: '1',
  LOG_LEVEL: 'warn',
} as const;

function keyValues(text: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const equals = item.indexOf('=');
    if (equals <= 0) {
      throw new InvalidArgumentError(
        `NSE_EXTRA_CONTEXT item "${item}" is not key=value: write trench=a,owner=b`,
      );
    }
    pairs[item.slice(0, equals)] = item.slice(equals + 1);
  }
  return pairs;
}

/** The config from environment variables (unset ones take the defaults above), or a sentence saying what is wrong. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): CustomEndpointConfig {
  const read = (name: keyof typeof ENVIRONMENT): string => env[name]?.trim() || ENVIRONMENT[name];
  const listen = read('NSE_LISTEN');
  parseServiceAddress(listen);
  const prefixes = read('NSE_PREFIXES')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const prefix of prefixes) parsePrefix(prefix, 'NSE_PREFIXES item');
  if (prefixes.length === 0)
    throw new InvalidArgumentError(
      'NSE_PREFIXES is empty: give at least one prefix to hand out addresses from',
    );
  const maxConnections = Number(read('NSE_MAX_CONNECTIONS'));
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new InvalidArgumentError(
      `NSE_MAX_CONNECTIONS must be a whole number of at least 1, not "${read('NSE_MAX_CONNECTIONS')}"`,
    );
  }
  const logLevel = read('LOG_LEVEL');
  if (!isLogLevel(logLevel)) {
    throw new InvalidArgumentError(
      `LOG_LEVEL "${logLevel}" is not a pino level: use silent, error, warn, info or debug`,
    );
  }
  return {
    listen,
    name: read('NSE_NAME'),
    networkService: read('NSE_SERVICE'),
    prefixes,
    extraContext: keyValues(read('NSE_EXTRA_CONTEXT')),
    maxConnections,
    logLevel,
  };
}
