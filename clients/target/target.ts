import type { Logger } from 'pino';

import type { ConfigSource } from '../../sdk/config/index.js';
import {
  CancelledError,
  type Connection,
  Context,
  ipContextOf,
  messageOf,
  sleep,
} from '../../sdk/core/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { GrpcChannelCache } from '../../sdk/grpc/index.js';
import { createKernel, type NetnsHandle } from '../../sdk/kernel/index.js';
import { LoopbackVips } from '../../sdk/middleware/loopback-vip/index.js';
import { followVips, VipRouting } from '../../sdk/middleware/vip-route/index.js';
import { READY_KEY } from '../../sdk/middleware/nsp-register/index.js';
import { IDENTIFIER_KEY } from '../../sdk/services/nsp/index.js';
import { recoverConnections } from '../../endpoints/proxy/index.js';
import { targetClient } from './chains.js';

export interface TargetOptions {
  /** The target's name: its connection is `<name>-<proxy service>`. */
  readonly name: string;
  /** The node: the `nodeName` label that selects the node's proxy. */
  readonly node: string;
  /** The NSM (NetworkService and MonitorConnection). */
  readonly nsm: string;
  /** The named namespace to work in; undefined: the process's own. */
  readonly netns?: string;
  /** Default `proxy`. */
  readonly proxyService?: string;
  readonly vipSource?: ConfigSource;
  readonly vips?: readonly string[];
  readonly maxTargets?: number;
  readonly requestTimeoutMs?: number;
  readonly tokenLifetimeMs?: number;
  readonly vipTable?: number;
  readonly logger: Logger;
}

/** What a running target shows of its connection. */
export interface TargetStatus {
  readonly connected: boolean;
  readonly identifier: string | undefined;
  /** The addresses the proxy gave it. */
  readonly ips: readonly string[];
  /** The proxy's bridge addresses (its VIP route's gateways). */
  readonly gateways: readonly string[];
}

export interface RunningTarget {
  readonly name: string;
  /** Resolves once the first connection is up (rejects if the target stops first). */
  readonly connected: Promise<Connection>;
  /**
   * Resolves once the proxy has been told the target is ready — its VIPs on lo and its source routes
   * in — and so has registered it at the NSP (rejects if the target stops first).
   */
  readonly ready: Promise<Connection>;
  status(): TargetStatus;
  readonly loopback: LoopbackVips;
  readonly routing: VipRouting;
  /** Closes the connection (removing the VIPs from lo and the source routes) and stops. */
  stop(): Promise<void>;
}

const MAX_RETRY_MS = 5000;

/**
 * Starts a target: follows the VIP configuration, and requests the proxy of its node until it gets a
 * connection (the NSM or the proxy may not be up yet); heal keeps it afterwards.
 */
export function startTarget(options: TargetOptions): RunningTarget {
  const logger = options.logger;
  const root = Context.background({ logger });
  const lifetime = new AbortController();
  const kernel = createKernel({ logger });
  const netns: NetnsHandle = options.netns === undefined ? kernel.current() : kernel.netns(options.netns);
  const loopback = new LoopbackVips({ netns });
  const routing = new VipRouting({
    netns,
    ...(options.vipTable === undefined ? {} : { table: options.vipTable }),
  });
  const channels = new GrpcChannelCache();
  let latest: Connection | undefined;
  let becameReady!: (connection: Connection) => void;
  let neverReady!: (error: Error) => void;
  const ready = new Promise<Connection>((resolve, reject) => {
    becameReady = resolve;
    neverReady = reject;
  });
  ready.then(
    (connection) => logger.info({ connectionId: connection.id }, 'the proxy was told the target is ready'),
    () => undefined,
  );
  const client = targetClient({
    name: options.name,
    netns: options.netns,
    loopback,
    routing,
    maxTargets: options.maxTargets ?? DEFAULTS.maxTargets,
    nsm: options.nsm,
    channels,
    tokenLifetimeMs: options.tokenLifetimeMs ?? 600_000,
    onConnection: (connection) => {
      latest = connection;
      if (connection.context?.extra_context[READY_KEY] === 'true') becameReady(connection);
    },
    logger,
    signal: lifetime.signal,
  });

  const configuration = new AbortController();
  const following = followVips({
    source: options.vipSource,
    initial: options.vips ?? [],
    apply: async (vips) => {
      await loopback.setVips(vips);
      await routing.setVips(vips);
    },
    signal: configuration.signal,
    logger,
  });

  const service = options.proxyService ?? DEFAULTS.proxyServiceName;
  const id = `${options.name}-${service}`;
  const connectingStop = new AbortController();
  const connecting = (async (): Promise<Connection> => {
    // A connection an earlier run left (a killed target) is requested again as it is: the same
    // identifier, addresses and link, instead of a second connection beside the first.
    const recovered = await recoverConnections({
      channels,
      nsm: options.nsm,
      clientName: options.name,
      service,
      timeoutMs: options.requestTimeoutMs ?? 15_000,
      logger,
    });
    const request = {
      connection: recovered.find((connection) => connection.id === id) ?? {
        id,
        network_service: service,
        labels: { nodeName: options.node },
      },
    };
    for (let delay = 200; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      const [ctx, cancel] = root.withTimeout(options.requestTimeoutMs ?? 15_000);
      const stop = (): void => cancel();
      connectingStop.signal.addEventListener('abort', stop, { once: true });
      try {
        const connection = await client.request(ctx, request);
        logger.info(
          {
            connectionId: connection.id,
            identifier: connection.context?.extra_context[IDENTIFIER_KEY],
            ips: ipContextOf(connection).src_ip_addrs,
          },
          'connected to the proxy',
        );
        return connection;
      } catch (error) {
        connectingStop.signal.throwIfAborted();
        logger.warn({ error: messageOf(error), retryMs: delay }, 'cannot connect to the proxy; retrying');
      } finally {
        connectingStop.signal.removeEventListener('abort', stop);
        cancel();
      }
      await sleep(root.clock, delay, connectingStop.signal);
    }
  })();
  // The caller may never look at `connected`; a stop before connecting must not be an unhandled rejection.
  connecting.catch(() => undefined);

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    configuration.abort();
    await following;
    connectingStop.abort();
    await connecting.catch(() => undefined);
    const connection = latest;
    if (connection !== undefined) {
      const [ctx, cancel] = root.withTimeout(options.requestTimeoutMs ?? 15_000);
      try {
        await client.close(ctx, connection);
      } catch (error) {
        logger.warn(
          { error: messageOf(error) },
          'closing the connection failed; NSM drops it when it expires',
        );
      } finally {
        cancel();
      }
    }
    lifetime.abort();
    neverReady(new CancelledError('the target stopped before the proxy was told it is ready'));
    // What a failed close left behind: the VIPs and routes go in any case.
    await loopback.clear().catch(() => undefined);
    await routing.clear().catch(() => undefined);
    channels.close();
    kernel.close();
    logger.info('target stopped');
  };

  return {
    name: options.name,
    connected: connecting,
    ready,
    loopback,
    routing,
    status: () => {
      const ip = latest === undefined ? undefined : ipContextOf(latest);
      return {
        connected: latest !== undefined,
        identifier: latest?.context?.extra_context[IDENTIFIER_KEY],
        ips: ip?.src_ip_addrs ?? [],
        gateways: ip?.extra_prefixes ?? [],
      };
    },
    stop: () => (stopped ??= stop()),
  };
}
