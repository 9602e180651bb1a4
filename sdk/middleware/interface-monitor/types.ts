import type { LinkInfo } from '../../kernel/index.js';

/** `added`: the connection's interface exists (it appeared, or was there when watching began); `removed`: it went. */
export type InterfaceEventType = 'added' | 'removed';

export interface InterfaceEvent {
  readonly type: InterfaceEventType;
  /** The connection (this hop's id) whose interface it is. */
  readonly connectionId: string;
  readonly interfaceName: string;
  /** The namespace's URL, as the connection's KERNEL mechanism carries it. */
  readonly netnsUrl: string;
  /** The link as last seen. */
  readonly link: LinkInfo;
}

export type InterfaceListener = (event: InterfaceEvent) => void;

/** What a subscriber of an interface monitor element sees. */
export interface InterfaceMonitor {
  /** Calls `listener` for every event from now on; returns the function that stops it. */
  subscribe(listener: InterfaceListener): () => void;
  /** Whether the interface of `connectionId` exists right now, as far as the monitor has seen. */
  present(connectionId: string): boolean;
}
