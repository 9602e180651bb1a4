import type { Logger } from 'pino';

import { messageOf } from '../../core/index.js';
import type { InterfaceEvent, InterfaceMonitor } from '../interface-monitor/index.js';
import type { BridgePorts } from './ports.js';

/**
 * Which interface each held connection has, attached to the bridge whenever the interface monitor says
 * it (re)appeared: the forwarder makes an endpoint's interface only after the endpoint answered, and
 * makes it again when the connection heals.
 */
export class BridgeAttachments {
  private readonly held = new Map<string, string>();

  constructor(
    private readonly ports: BridgePorts,
    monitor: InterfaceMonitor,
    private readonly logger: Logger,
  ) {
    monitor.subscribe((event) => this.onInterface(event));
  }

  hold(connectionId: string, interfaceName: string): void {
    this.held.set(connectionId, interfaceName);
  }

  /** Forgets the connection; returns the interface it had. */
  release(connectionId: string): string | undefined {
    const name = this.held.get(connectionId);
    this.held.delete(connectionId);
    return name;
  }

  attach(interfaceName: string): Promise<void> {
    return this.ports.attach(interfaceName);
  }

  detach(interfaceName: string): Promise<void> {
    return this.ports.detach(interfaceName);
  }

  private onInterface(event: InterfaceEvent): void {
    if (event.type !== 'added' || this.held.get(event.connectionId) !== event.interfaceName) return;
    this.ports.attach(event.interfaceName).then(
      () =>
        this.logger.debug(
          { connectionId: event.connectionId, interface: event.interfaceName, bridge: this.ports.bridge },
          'interface attached to the bridge',
        ),
      (error: unknown) =>
        this.logger.error(
          { connectionId: event.connectionId, interface: event.interfaceName, error: messageOf(error) },
          `cannot attach the interface to ${this.ports.bridge}`,
        ),
    );
  }
}
