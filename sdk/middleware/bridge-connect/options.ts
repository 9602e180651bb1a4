import type { Logger } from 'pino';

import type { InterfaceMonitor } from '../interface-monitor/index.js';
import type { BridgePorts } from './ports.js';

export interface BridgeConnectOptions {
  /** The bridge and how to attach to it (`kernelBridgePorts(netns, 'bridge0')`). */
  readonly ports: BridgePorts;
  /** The interface monitor element of the same chain (`interfaceMonitorServer()` / `…Client()`). */
  readonly interfaces: InterfaceMonitor;
  /** Where failed attachments that happen outside a call are reported. Default: silent. */
  readonly logger?: Logger;
}
