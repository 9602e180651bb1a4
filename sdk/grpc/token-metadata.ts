import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { type Connection, currentSegment, type Timestamp } from '../core/index.js';

/**
 * NSM sends the caller's token outside the protos, as gRPC metadata (sdk pkg/tools/token): the JWT
 * and its expiry in Go's RFC3339Nano. The server's `updatetoken` puts them into the caller's segment.
 */
export const CLIENT_TOKEN_HEADER = 'nsm-client-token';
export const CLIENT_TOKEN_EXPIRES_HEADER = 'nsm-client-token-expires';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** A Timestamp as Go's `time.RFC3339Nano` writes it in UTC: fraction without trailing zeros, or none. */
export function formatRfc3339Nano(timestamp: Timestamp): string {
  const seconds = Number(timestamp.seconds);
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  const fraction =
    timestamp.nanos > 0 ? `.${String(timestamp.nanos).padStart(9, '0').replace(/0+$/, '')}` : '';
  return `${whole}${fraction}Z`;
}

/** An RFC3339 time (any offset, up to nanoseconds) as a Timestamp, or undefined when it is not one. */
export function parseRfc3339(text: string): Timestamp | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const utcMs = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  if (Number.isNaN(utcMs)) return undefined;
  let offsetSeconds = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetSeconds = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  return { seconds: String(utcMs / 1000 - offsetSeconds), nanos: Number(fraction.padEnd(9, '0')) };
}

/** The token headers for a call, from this hop's (the current) path segment; empty when it has no token. */
export function tokenMetadata(connection: Connection | null | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  const segment = connection ? currentSegment(connection) : undefined;
  if (segment?.token) {
    metadata.set(CLIENT_TOKEN_HEADER, segment.token);
    if (segment.expires) metadata.set(CLIENT_TOKEN_EXPIRES_HEADER, formatRfc3339Nano(segment.expires));
  }
  return metadata;
}

function header(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Writes the caller's token headers into the caller's segment, which is the current one on arrival
 * (the server's `updatepath` makes it the previous one). Without headers nothing changes, as in NSM;
 * an unreadable expiry is logged and ignored, token included, so a segment never has half a token.
 */
export function applyCallerToken(metadata: grpc.Metadata, connection: Connection, logger: Logger): void {
  const token = header(metadata, CLIENT_TOKEN_HEADER);
  if (token === undefined) return;
  const segment = currentSegment(connection);
  if (!segment) return;
  const expiresText = header(metadata, CLIENT_TOKEN_EXPIRES_HEADER);
  const expires = expiresText === undefined ? null : parseRfc3339(expiresText);
  if (expires === undefined) {
    logger.warn(
      { header: CLIENT_TOKEN_EXPIRES_HEADER, value: expiresText },
      'ignoring a caller token whose expiry is not an RFC3339 time',
    );
    return;
  }
  segment.token = token;
  segment.expires = expires;
}
