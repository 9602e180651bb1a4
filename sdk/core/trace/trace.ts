import { performance } from 'node:perf_hooks';

import { type Context, contextKey } from '../context.js';
import { copyMessage } from '../copy/index.js';
import type { NetworkServiceClient, NetworkServiceServer, Next } from '../element.js';
import { codeOf, messageOf } from '../errors.js';
import type { Connection, NetworkServiceRequest } from '../types.js';
import { diffViews } from './diff.js';
import { errorOrigin, markErrorOrigin } from './origin.js';

type AnyElement = NetworkServiceServer | NetworkServiceClient;

/**
 * What the previous element saw, so the verbose trace logs only what each element changed. One per
 * outermost call; it is mutable on purpose (the Context that carries it is not).
 */
interface TraceViews {
  request?: unknown;
  connection?: unknown;
}

const traceViewsKey = contextKey<TraceViews>('trace.views');

/**
 * Tracing is decided per call from the logger: warn and quieter cost one level check per element; info
 * logs one line per Request/Close at the outermost chain; debug logs every element with a diff.
 */
export function isTracing(ctx: Context): boolean {
  return ctx.logger.isLevelEnabled('info');
}

function snapshot(value: unknown): unknown {
  return value === undefined ? undefined : copyMessage(value);
}

/** The views the previous element saw, shared by the elements of one call (made by the first). */
function withTraceViews(ctx: Context): [Context, TraceViews] {
  const views = ctx.value(traceViewsKey);
  if (views !== undefined) return [ctx, views];
  const fresh: TraceViews = {};
  return [ctx.withValue(traceViewsKey, fresh), fresh];
}

function logElementFailure(ctx: Context, element: AnyElement, op: 'request' | 'close', error: unknown): void {
  markErrorOrigin(error, element.name);
  ctx.logger.debug(
    { element: element.name, op, origin: errorOrigin(error), code: codeOf(error), error: messageOf(error) },
    `${op} failed in element`,
  );
}

/** Runs one element of a chain with tracing; only called when `isTracing(ctx)`. */
export async function traceElementRequest(
  element: AnyElement,
  ctx: Context,
  request: NetworkServiceRequest,
  next: Next,
): Promise<Connection> {
  if (!ctx.logger.isLevelEnabled('debug')) {
    try {
      return await element.request(ctx, request, next);
    } catch (error) {
      markErrorOrigin(error, element.name);
      throw error;
    }
  }
  let views: TraceViews;
  [ctx, views] = withTraceViews(ctx);
  const requestView = snapshot(request);
  ctx.logger.debug(
    { element: element.name, op: 'request', changes: diffViews(views.request, requestView) },
    'request enters element',
  );
  views.request = requestView;
  views.connection = undefined;
  try {
    const connection = await element.request(ctx, request, next);
    const connectionView = snapshot(connection);
    const baseline = views.connection ?? (requestView as { connection?: unknown } | undefined)?.connection;
    ctx.logger.debug(
      { element: element.name, op: 'request', changes: diffViews(baseline, connectionView) },
      'connection leaves element',
    );
    views.connection = connectionView;
    return connection;
  } catch (error) {
    logElementFailure(ctx, element, 'request', error);
    throw error;
  }
}

/** Runs one element's Close with tracing; only called when `isTracing(ctx)`. */
export async function traceElementClose(
  element: AnyElement,
  ctx: Context,
  connection: Connection,
  next: Next,
): Promise<void> {
  if (!ctx.logger.isLevelEnabled('debug')) {
    try {
      return await element.close(ctx, connection, next);
    } catch (error) {
      markErrorOrigin(error, element.name);
      throw error;
    }
  }
  let views: TraceViews;
  [ctx, views] = withTraceViews(ctx);
  const view = snapshot(connection);
  ctx.logger.debug(
    { element: element.name, op: 'close', changes: diffViews(views.connection, view) },
    'close enters element',
  );
  views.connection = view;
  try {
    await element.close(ctx, connection, next);
  } catch (error) {
    logElementFailure(ctx, element, 'close', error);
    throw error;
  }
}

/**
 * Runs a whole chain with tracing. Only the outermost chain of a call logs its one line (nested chains
 * find the trace views already in the context).
 */
export async function traceChainRequest(
  chain: string,
  ctx: Context,
  request: NetworkServiceRequest,
  run: (ctx: Context) => Promise<Connection>,
): Promise<Connection> {
  if (ctx.value(traceViewsKey) !== undefined) return run(ctx);
  const started = performance.now();
  const requested = request.connection;
  try {
    const connection = await run(ctx.withValue(traceViewsKey, {}));
    ctx.logger.info(
      {
        chain,
        op: 'request',
        id: connection.id,
        service: connection.network_service,
        ms: elapsed(started),
      },
      'request done',
    );
    return connection;
  } catch (error) {
    ctx.logger.info(
      {
        chain,
        op: 'request',
        id: requested?.id ?? '',
        service: requested?.network_service ?? '',
        ms: elapsed(started),
        element: errorOrigin(error),
        code: codeOf(error),
        error: messageOf(error),
      },
      'request failed',
    );
    throw error;
  }
}

/** Runs a whole chain's Close with tracing; see `traceChainRequest`. */
export async function traceChainClose(
  chain: string,
  ctx: Context,
  connection: Connection,
  run: (ctx: Context) => Promise<void>,
): Promise<void> {
  if (ctx.value(traceViewsKey) !== undefined) return run(ctx);
  const started = performance.now();
  const fields = { chain, op: 'close', id: connection.id, service: connection.network_service };
  try {
    await run(ctx.withValue(traceViewsKey, {}));
    ctx.logger.info({ ...fields, ms: elapsed(started) }, 'close done');
  } catch (error) {
    ctx.logger.info(
      {
        ...fields,
        ms: elapsed(started),
        element: errorOrigin(error),
        code: codeOf(error),
        error: messageOf(error),
      },
      'close failed',
    );
    throw error;
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
