import type { Logger } from 'pino';

import { type Connection, copyMessage, messageOf } from '../../sdk/core/index.js';
import type { GrpcChannelCache } from '../../sdk/grpc/index.js';

export interface RecoverOptions {
  readonly channels: GrpcChannelCache;
  /** The NSM. */
  readonly nsm: string;
  /** This client's path segment name (its updatepath name). */
  readonly clientName: string;
  readonly service: string;
  /** How long to wait for the NSM's answer; nothing is recovered after it. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** The connection as its client sends it: its own hop current (index 0, its segment's id). */
function asClientSees(connection: Connection): Connection {
  const copy = copyMessage(connection);
  const own = copy.path!.path_segments[0]!;
  copy.path!.index = 0;
  copy.id = own.id;
  copy.state = 'UP';
  return copy;
}

/**
 * The connections of `service` an earlier run of this client left in the NSM (a process killed and
 * started again): the NSM's MonitorConnection lists those whose first path segment is the client's.
 * Requesting one again refreshes it in the NSM — same veth pair, same interface names, and the
 * addresses in its context are recovered — instead of making a second one beside it. An NSM that does
 * not answer in time recovers nothing.
 */
export async function recoverConnections(options: RecoverOptions): Promise<Connection[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const events = options.channels
      .monitorConnection(options.nsm)
      .monitorConnections(
        { path_segments: [{ name: options.clientName }], network_services: [options.service] },
        { signal: controller.signal },
      );
    for await (const event of events) {
      if (event.type !== 'INITIAL_STATE_TRANSFER') continue;
      const found = Object.values(event.connections)
        .filter((connection) => connection.path?.path_segments[0]?.name === options.clientName)
        .map(asClientSees);
      if (found.length > 0) {
        options.logger.info(
          { connections: found.map((c) => c.id) },
          'recovered connections of an earlier run',
        );
      }
      return found;
    }
  } catch (error) {
    options.logger.warn({ error: messageOf(error) }, 'cannot ask the NSM for connections of an earlier run');
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return [];
}

/**
 * Closes, at the NSM, connections an earlier run left whose endpoint is gone (it would never be
 * refreshed again; NSM would drop it only when its token expires). Failures are logged.
 */
export async function closeLeftovers(
  options: Pick<RecoverOptions, 'channels' | 'nsm' | 'timeoutMs' | 'logger'>,
  connections: readonly Connection[],
): Promise<void> {
  for (const connection of connections) {
    try {
      await options.channels
        .networkService(options.nsm)
        .close(connection, { deadline: Date.now() + options.timeoutMs });
      options.logger.info(
        { connectionId: connection.id, endpoint: connection.network_service_endpoint_name },
        'closed a connection of an earlier run whose endpoint is gone',
      );
    } catch (error) {
      options.logger.warn(
        { connectionId: connection.id, error: messageOf(error) },
        'cannot close a connection of an earlier run; NSM drops it when it expires',
      );
    }
  }
}
