/**
 * Notices when an endpoint that holds connections goes away and makes those connections fail over:
 * the registry dropped it (unregistered or expired), its MonitorConnection stream broke (its process
 * died or stopped serving), or it deleted one of our connections. Each affected connection is then
 * refreshed through the manager's begin; that refresh fails when the endpoint is gone, and the
 * manager's monitor reports the connection DOWN, which the client's heal answers with a reselect.
 */
import type { Logger } from 'pino';

import {
  Code,
  codeOf,
  type EventFactory,
  eventFactoryOf,
  messageOf,
  type NetworkServiceServer,
} from '../../../sdk/core/index.js';
import type { GrpcChannelCache } from '../../../sdk/grpc/index.js';
import type { Registry } from '../registry/index.js';

export interface EndpointWatchOptions {
  readonly registry: Registry;
  readonly channels: GrpcChannelCache;
  /** The manager's path segment name: how an endpoint's connection is traced back to ours. */
  readonly managerName: string;
  /** The forwarder's path segment name: the endpoint streams the connections that came through it. */
  readonly forwarderName: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

interface Tracked {
  readonly id: string;
  readonly endpointName: string;
  readonly url: string;
  events: EventFactory;
}

export class EndpointWatch {
  private readonly connections = new Map<string, Tracked>();
  private readonly streams = new Map<string, AbortController>();
  /** Endpoints that do not serve MonitorConnection: watched through the registry only. */
  private readonly unmonitored = new Set<string>();
  private readonly stopRegistryListener: () => void;

  constructor(private readonly options: EndpointWatchOptions) {
    this.stopRegistryListener = options.registry.onEndpointRemoved((endpoint, reason) => {
      this.failOver((t) => t.endpointName === endpoint.name, `endpoint ${endpoint.name} was ${reason}`);
    });
    options.signal.addEventListener('abort', () => this.stop(), { once: true });
  }

  /** The chain element: tracks a connection after each successful Request, forgets it on Close. */
  element(): NetworkServiceServer {
    return {
      kind: 'server',
      name: 'endpointWatch',
      request: async (ctx, request, next) => {
        const events = eventFactoryOf(ctx);
        const connection = await next.request(ctx, request);
        const endpointName = connection.network_service_endpoint_name;
        const url = this.options.registry.endpoint(endpointName)?.url;
        if (url !== undefined) this.track({ id: connection.id, endpointName, url, events });
        return connection;
      },
      close: async (ctx, connection, next) => {
        // Forgotten first: the endpoint's DELETE for this close must not look like a loss.
        this.untrack(connection.id);
        await next.close(ctx, connection);
      },
    };
  }

  private track(tracked: Tracked): void {
    if (this.connections.get(tracked.id)?.url !== tracked.url) this.untrack(tracked.id);
    this.connections.set(tracked.id, tracked);
    if (
      !this.streams.has(tracked.url) &&
      !this.unmonitored.has(tracked.url) &&
      !this.options.signal.aborted
    ) {
      this.watchStream(tracked.url);
    }
  }

  /** Forgets a connection; the stream of its endpoint ends with the endpoint's last connection. */
  private untrack(id: string): void {
    const tracked = this.connections.get(id);
    if (tracked === undefined) return;
    this.connections.delete(id);
    if ([...this.connections.values()].some((t) => t.url === tracked.url)) return;
    this.streams.get(tracked.url)?.abort();
    this.streams.delete(tracked.url);
  }

  private watchStream(url: string): void {
    const controller = new AbortController();
    this.streams.set(url, controller);
    const selector = { path_segments: [{ name: this.options.forwarderName }] };
    const run = async (): Promise<void> => {
      const stream = this.options.channels.monitorConnection(url).monitorConnections(selector, {
        signal: controller.signal,
      });
      for await (const event of stream) {
        const held = new Set(
          Object.values(event.connections).map(
            (c) => c.path?.path_segments.find((s) => s.name === this.options.managerName)?.id,
          ),
        );
        if (event.type === 'INITIAL_STATE_TRANSFER') {
          this.failOver((t) => t.url === url && !held.has(t.id), `endpoint at ${url} does not hold it`);
        } else if (event.type === 'DELETE') {
          this.failOver((t) => t.url === url && held.has(t.id), `endpoint at ${url} closed it`);
        }
      }
    };
    run().then(
      () => this.streamEnded(url, controller, 'the endpoint ended its monitor stream'),
      (error: unknown) => {
        if (codeOf(error) === Code.UNIMPLEMENTED) this.unmonitored.add(url);
        this.streamEnded(url, controller, messageOf(error));
      },
    );
  }

  private streamEnded(url: string, controller: AbortController, reason: string): void {
    if (this.streams.get(url) === controller) this.streams.delete(url);
    if (controller.signal.aborted || this.unmonitored.has(url)) return;
    this.failOver((t) => t.url === url, `the monitor stream of the endpoint at ${url} ended: ${reason}`);
  }

  /** Refreshes the matching connections; a refresh toward a vanished endpoint fails and reports DOWN. */
  private failOver(matches: (tracked: Tracked) => boolean, reason: string): void {
    if (this.options.signal.aborted) return;
    for (const tracked of [...this.connections.values()].filter(matches)) {
      this.options.logger.info(
        { connectionId: tracked.id, endpoint: tracked.endpointName, reason },
        'checking a connection whose endpoint may be gone',
      );
      tracked.events.request().catch((error: unknown) => {
        this.options.logger.info(
          { connectionId: tracked.id, endpoint: tracked.endpointName, error: messageOf(error) },
          'the connection lost its endpoint: reported DOWN to the client',
        );
      });
    }
  }

  private stop(): void {
    this.stopRegistryListener();
    for (const controller of this.streams.values()) controller.abort();
    this.streams.clear();
    this.connections.clear();
  }
}
