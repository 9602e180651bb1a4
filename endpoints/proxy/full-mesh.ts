import type { Client } from '../../sdk/chains/index.js';
import { type Connection, type Context, messageOf, sleep } from '../../sdk/core/index.js';
import type { RegistryClient } from '../../sdk/registry/index.js';

export interface FullMeshOptions {
  /** The proxy's client chain toward the load balancers. */
  readonly client: Client;
  readonly registry: Pick<RegistryClient, 'watchEndpoints'>;
  /** The load balancers' network service. */
  readonly service: string;
  /** The proxy's name: each connection is `<name>-<LB endpoint name>`, the same after a restart. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Logger and clock of the proxy; the mesh's lifetime is `start`'s signal. */
  readonly root: Context;
  readonly requestTimeoutMs: number;
  /** Pause after a failed Request, doubling up to 5 s; default 200 ms. */
  readonly retryMs?: number;
  /**
   * Connections an earlier run of the proxy left (`recoverConnections`): the one naming an LB is
   * requested again as it is, so the NSM refreshes it instead of making a second link.
   */
  readonly recovered?: readonly Connection[];
}

interface Peer {
  readonly controller: AbortController;
  connection: Connection | undefined;
  task: Promise<void>;
}

const MAX_RETRY_MS = 5000;

/**
 * Keeps one connection to every endpoint of the load balancers' network service, as they come and go
 * in the registry (Meridio's full mesh): a new LB is requested (again and again until it answers), a
 * departed one is closed. Each connection names its LB, so NSM never moves it to another.
 */
export class FullMesh {
  private readonly peers = new Map<string, Peer>();
  private watching: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly recovered: Map<string, Connection>;

  constructor(private readonly options: FullMeshOptions) {
    this.recovered = new Map(
      (options.recovered ?? []).map((connection) => [connection.network_service_endpoint_name, connection]),
    );
  }

  /** Starts watching the registry. */
  start(): void {
    this.watching ??= this.watch();
  }

  /** The LBs connected now, with their connections. */
  connections(): ReadonlyMap<string, Connection> {
    const connected = new Map<string, Connection>();
    for (const [name, peer] of this.peers) if (peer.connection) connected.set(name, peer.connection);
    return connected;
  }

  /** Stops watching and closes every connection. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.watching;
    await Promise.all([...this.peers.keys()].map((name) => this.disconnect(name)));
  }

  private async watch(): Promise<void> {
    const { registry, service, root } = this.options;
    const signal = this.stopping.signal;
    try {
      for await (const event of registry.watchEndpoints({ network_service_names: [service] }, signal)) {
        const name = event.item.name;
        if (event.deleted) void this.disconnect(name);
        else if (!this.peers.has(name)) this.connect(name);
      }
    } catch (error) {
      if (!signal.aborted) root.logger.error({ error: messageOf(error) }, 'the load balancer watch ended');
    }
  }

  private connect(lb: string): void {
    const controller = new AbortController();
    const peer: Peer = { controller, connection: undefined, task: Promise.resolve() };
    this.peers.set(lb, peer);
    peer.task = this.requestUntilConnected(lb, peer);
  }

  private async requestUntilConnected(lb: string, peer: Peer): Promise<void> {
    const { client, root, service, name, labels, requestTimeoutMs } = this.options;
    const signal = peer.controller.signal;
    const logger = root.logger.child({ loadBalancer: lb });
    let delay = this.options.retryMs ?? 200;
    const recovered = this.recovered.get(lb);
    this.recovered.delete(lb);
    const request = {
      connection: recovered ?? {
        id: `${name}-${lb}`,
        network_service: service,
        network_service_endpoint_name: lb,
        labels: { ...labels },
      },
    };
    while (!signal.aborted) {
      const [ctx, cancel] = root.withTimeout(requestTimeoutMs);
      const onAbort = (): void => cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        peer.connection = await client.request(ctx, request);
        logger.info({ connectionId: peer.connection.id }, 'connected to the load balancer');
        return;
      } catch (error) {
        if (signal.aborted) return;
        logger.warn(
          { error: messageOf(error), retryMs: delay },
          'cannot connect to the load balancer; retrying',
        );
      } finally {
        signal.removeEventListener('abort', onAbort);
        cancel();
      }
      await sleep(root.clock, delay, signal).catch(() => undefined);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  private async disconnect(lb: string): Promise<void> {
    const peer = this.peers.get(lb);
    if (peer === undefined) return;
    this.peers.delete(lb);
    peer.controller.abort();
    await peer.task;
    if (peer.connection === undefined) return;
    const [ctx, cancel] = this.options.root.withTimeout(this.options.requestTimeoutMs);
    try {
      await this.options.client.close(ctx, peer.connection);
      this.options.root.logger.info({ loadBalancer: lb }, 'disconnected from the load balancer');
    } catch (error) {
      this.options.root.logger.warn(
        { loadBalancer: lb, error: messageOf(error) },
        'closing the connection to the load balancer failed; NSM drops it when it expires',
      );
    } finally {
      cancel();
    }
  }
}
