import { randomUUID } from 'node:crypto';

import { newConnection, newPathSegment } from '../connection.js';
import type { Context } from '../context.js';
import type { Next } from '../element.js';
import { InvalidArgumentError } from '../errors.js';
import type { Connection, NetworkServiceRequest } from '../types.js';

/**
 * Moves the connection to this hop's path segment and returns the caller's index (NSM's updatePath):
 * - no segments: append {name, id} (a new uuid when the connection has no id);
 * - the current segment is this hop's (same name): take its id;
 * - otherwise the current segment's id must equal the connection id; advance the index, reuse the next
 *   segment if it has this name, rename it with a new id if it has another, or append a new one.
 * After it, `connection.id` is this hop's id.
 */
export function updatePath(connection: Connection, name: string): number {
  connection.path ??= { index: 0, path_segments: [] };
  const path = connection.path;
  if (path.path_segments.length === 0) {
    path.index = 0;
    if (connection.id === '') connection.id = randomUUID();
    path.path_segments.push(newPathSegment({ name, id: connection.id }));
    return 0;
  }
  const current = path.path_segments[path.index];
  if (current !== undefined && current.name === name) {
    connection.id = current.id;
    return path.index;
  }
  const nextIndex = path.index + 1;
  if (nextIndex > path.path_segments.length) {
    throw new InvalidArgumentError(
      `the connection's path index ${path.index} is past its ${path.path_segments.length} path segments`,
    );
  }
  if (current!.id !== connection.id) {
    throw new InvalidArgumentError(
      `the current path segment's id ${current!.id} differs from the connection id ${connection.id}`,
    );
  }
  const following = path.path_segments[nextIndex];
  if (following !== undefined && following.name !== name) {
    following.name = name;
    following.id = randomUUID();
  }
  path.index = nextIndex;
  if (following === undefined) {
    connection.id = randomUUID();
    path.path_segments.push(newPathSegment({ name, id: connection.id }));
  } else {
    connection.id = following.id;
  }
  return nextIndex - 1;
}

/** Puts the caller's hop back: its id and index. */
function restoreHop(connection: Connection, index: number): void {
  const segment = connection.path?.path_segments[index];
  if (segment === undefined || connection.path === null) return;
  connection.id = segment.id;
  connection.path.index = index;
}

export async function updatePathRequest(
  name: string,
  ctx: Context,
  request: NetworkServiceRequest,
  next: Next,
): Promise<Connection> {
  request.connection ??= newConnection();
  const connection = request.connection;
  const callerIndex = updatePath(connection, name);
  try {
    const returned = await next.request(ctx, request);
    restoreHop(returned, callerIndex);
    return returned;
  } catch (error) {
    // The caller may send the same request again; it must find its own hop, not ours.
    restoreHop(connection, callerIndex);
    throw error;
  }
}

export async function updatePathClose(
  name: string,
  ctx: Context,
  connection: Connection,
  next: Next,
): Promise<void> {
  const callerIndex = updatePath(connection, name);
  try {
    await next.close(ctx, connection);
  } finally {
    restoreHop(connection, callerIndex);
  }
}
