import type { Client } from '../../sdk/chains/index.js';
import { codeOf, Code, type Connection, type Context, messageOf } from '../../sdk/core/index.js';

/** What the client saw, step by step. */
export interface SessionReport {
  readonly requested: Connection;
  readonly refreshed: Connection;
  /** The refresh kept the connection's addresses (a refresh never re-addresses a connection). */
  readonly addressesKept: boolean;
  /** The answer to a second connection while the first one is up (the quota is 1 by default). */
  readonly secondConnection: { readonly code: Code; readonly message: string } | { readonly code: Code.OK };
}

const CALL_TIMEOUT_MS = 10_000;

async function withTimeout<T>(ctx: Context, work: (ctx: Context) => Promise<T>): Promise<T> {
  const [bounded, cancel] = ctx.withTimeout(CALL_TIMEOUT_MS);
  try {
    return await work(bounded);
  } finally {
    cancel();
  }
}

function addresses(connection: Connection): string {
  const ip = connection.context?.ip_context;
  return JSON.stringify([ip?.src_ip_addrs ?? [], ip?.dst_ip_addrs ?? []]);
}

/**
 * The client's side of the demo: request a connection, refresh it, try a second one, close the first.
 * Each call has its own deadline, which travels to the endpoint with the gRPC call.
 */
export async function runClientSession(
  client: Client,
  ctx: Context,
  networkService: string,
): Promise<SessionReport> {
  const requested = await withTimeout(ctx, (c) =>
    client.request(c, {
      connection: { id: `${client.name}-0`, network_service: networkService, labels: { app: 'demo' } },
    }),
  );
  const refreshed = await withTimeout(ctx, (c) =>
    client.request(c, { connection: requested, mechanism_preferences: [] }),
  );
  let secondConnection: SessionReport['secondConnection'] = { code: Code.OK };
  try {
    const second = await withTimeout(ctx, (c) =>
      client.request(c, { connection: { id: `${client.name}-1`, network_service: networkService } }),
    );
    await withTimeout(ctx, (c) => client.close(c, second));
  } catch (error) {
    secondConnection = { code: codeOf(error), message: messageOf(error) };
  }
  await withTimeout(ctx, (c) => client.close(c, refreshed));
  return {
    requested,
    refreshed,
    addressesKept: addresses(requested) === addresses(refreshed),
    secondConnection,
  };
}
