import type { Logger } from 'pino';

import type { LinkInfo } from '../../kernel/index.js';
import { NamespaceWatch } from './namespace-watch.js';
import type { InterfaceEvent, InterfaceEventType, InterfaceListener, InterfaceMonitor } from './types.js';

interface Watched {
  readonly connectionId: string;
  readonly netnsUrl: string;
  readonly interfaceName: string;
  present: boolean;
}

interface NamespaceEntry {
  readonly watch: NamespaceWatch;
  readonly connections: Set<Watched>;
}

/**
 * Which interface each connection has, and the namespace watches that report them: an entry per
 * connection, a watch per namespace while one of its connections is held.
 */
export class InterfaceWatcher implements InterfaceMonitor {
  private readonly listeners = new Set<InterfaceListener>();
  private readonly connections = new Map<string, Watched>();
  private readonly namespaces = new Map<string, NamespaceEntry>();

  constructor(private readonly logger: Logger) {}

  subscribe(listener: InterfaceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  present(connectionId: string): boolean {
    return this.connections.get(connectionId)?.present ?? false;
  }

  /** Watches `interfaceName` in `netnsUrl` for the connection (a no-op when that is already watched). */
  watch(connectionId: string, netnsUrl: string, interfaceName: string): void {
    const current = this.connections.get(connectionId);
    if (current?.netnsUrl === netnsUrl && current.interfaceName === interfaceName) return;
    if (current !== undefined) this.unwatch(connectionId);
    const watched: Watched = { connectionId, netnsUrl, interfaceName, present: false };
    this.connections.set(connectionId, watched);
    let entry = this.namespaces.get(netnsUrl);
    if (entry === undefined) {
      const connections = new Set<Watched>();
      const watch = new NamespaceWatch(
        netnsUrl,
        {
          linkAdded: (link) => this.linkChanged(connections, link, 'added'),
          linkRemoved: (link) => this.linkChanged(connections, link, 'removed'),
        },
        this.logger,
      );
      entry = { watch, connections };
      this.namespaces.set(netnsUrl, entry);
    }
    entry.connections.add(watched);
    const existing = entry.watch.find(interfaceName);
    if (existing !== undefined) this.report(watched, 'added', existing);
  }

  /** Stops watching the connection's interface; the namespace watch ends with its last connection. */
  unwatch(connectionId: string): void {
    const watched = this.connections.get(connectionId);
    if (watched === undefined) return;
    this.connections.delete(connectionId);
    const entry = this.namespaces.get(watched.netnsUrl);
    if (entry === undefined) return;
    entry.connections.delete(watched);
    if (entry.connections.size === 0) {
      entry.watch.stop();
      this.namespaces.delete(watched.netnsUrl);
    }
  }

  /** Stops every watch. */
  stop(): void {
    for (const entry of this.namespaces.values()) entry.watch.stop();
    this.namespaces.clear();
    this.connections.clear();
  }

  private linkChanged(connections: Set<Watched>, link: LinkInfo, type: InterfaceEventType): void {
    for (const watched of connections) {
      if (watched.interfaceName === link.name) this.report(watched, type, link);
    }
  }

  private report(watched: Watched, type: InterfaceEventType, link: LinkInfo): void {
    const present = type === 'added';
    if (watched.present === present) return;
    watched.present = present;
    const event: InterfaceEvent = {
      type,
      connectionId: watched.connectionId,
      interfaceName: watched.interfaceName,
      netnsUrl: watched.netnsUrl,
      link,
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn(
          { err: error, connectionId: watched.connectionId },
          'interface monitor: a listener threw',
        );
      }
    }
  }
}
