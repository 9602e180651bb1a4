import * as grpc from '@grpc/grpc-js';
import pino from 'pino';

import { msToTimestamp, newConnection, newPathSegment } from '../../../sdk/core/index.js';
import {
  applyCallerToken,
  CLIENT_TOKEN_EXPIRES_HEADER,
  CLIENT_TOKEN_HEADER,
  formatRfc3339Nano,
  parseRfc3339,
  tokenMetadata,
} from '../../../sdk/grpc/index.js';

const silent = pino({ level: 'silent' });

function twoHopConnection(): ReturnType<typeof newConnection> {
  return newConnection({
    id: 'c',
    path: {
      index: 0,
      path_segments: [newPathSegment({ name: 'nsc', token: 'own-token' }), newPathSegment({ name: 'nse' })],
    },
  });
}

describe('RFC3339Nano as Go writes and reads it', () => {
  it.each([
    [{ seconds: '1893553445', nanos: 0 }, '2030-01-02T03:04:05Z'],
    [{ seconds: '1893553445', nanos: 678_000_000 }, '2030-01-02T03:04:05.678Z'],
    [{ seconds: '1893553445', nanos: 1 }, '2030-01-02T03:04:05.000000001Z'],
    [{ seconds: '0', nanos: 120_000 }, '1970-01-01T00:00:00.00012Z'],
  ])('formats %j as %s and reads it back', (timestamp, text) => {
    expect(formatRfc3339Nano(timestamp)).toBe(text);
    expect(parseRfc3339(text)).toEqual(timestamp);
  });

  it('reads offsets other than Z', () => {
    expect(parseRfc3339('2030-01-02T05:04:05.5+02:00')).toEqual({
      seconds: '1893553445',
      nanos: 500_000_000,
    });
    expect(parseRfc3339('2030-01-01T22:34:05-04:30')).toEqual({ seconds: '1893553445', nanos: 0 });
  });

  it.each(['', 'tomorrow', '2030-01-02', '2030-01-02T03:04:05', '2030-01-02T03:04:05.1234567890Z'])(
    'rejects %j',
    (text) => {
      expect(parseRfc3339(text)).toBeUndefined();
    },
  );
});

describe('token headers', () => {
  it('are taken from the current path segment', () => {
    const connection = twoHopConnection();
    connection.path!.path_segments[0]!.expires = msToTimestamp(Date.UTC(2030, 0, 2, 3, 4, 5));
    const metadata = tokenMetadata(connection);
    expect(metadata.get(CLIENT_TOKEN_HEADER)).toEqual(['own-token']);
    expect(metadata.get(CLIENT_TOKEN_EXPIRES_HEADER)).toEqual(['2030-01-02T03:04:05Z']);
  });

  it('are absent when the segment has no token', () => {
    const connection = twoHopConnection();
    connection.path!.index = 1;
    expect(tokenMetadata(connection).getMap()).toEqual({});
    expect(tokenMetadata(null).getMap()).toEqual({});
  });

  it("fill the caller's segment on arrival, token and expiry together", () => {
    const connection = twoHopConnection();
    const metadata = new grpc.Metadata();
    metadata.set(CLIENT_TOKEN_HEADER, 'from-header');
    metadata.set(CLIENT_TOKEN_EXPIRES_HEADER, '2030-01-02T03:04:05.25Z');
    applyCallerToken(metadata, connection, silent);
    expect(connection.path!.path_segments[0]).toMatchObject({
      token: 'from-header',
      expires: { seconds: '1893553445', nanos: 250_000_000 },
    });
    expect(connection.path!.path_segments[1]!.token).toBe('');
  });

  it('leave the segment alone when the expiry cannot be read', () => {
    const connection = twoHopConnection();
    const metadata = new grpc.Metadata();
    metadata.set(CLIENT_TOKEN_HEADER, 'from-header');
    metadata.set(CLIENT_TOKEN_EXPIRES_HEADER, 'next tuesday');
    applyCallerToken(metadata, connection, silent);
    expect(connection.path!.path_segments[0]).toMatchObject({ token: 'own-token', expires: null });
  });

  it('change nothing when absent or when the connection has no path', () => {
    const connection = twoHopConnection();
    applyCallerToken(new grpc.Metadata(), connection, silent);
    expect(connection.path!.path_segments[0]!.token).toBe('own-token');
    const pathless = newConnection({ id: 'p' });
    const metadata = new grpc.Metadata();
    metadata.set(CLIENT_TOKEN_HEADER, 'from-header');
    applyCallerToken(metadata, pathless, silent);
    expect(pathless.path).toBeNull();
  });
});
