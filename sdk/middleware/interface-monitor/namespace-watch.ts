import type { Logger } from 'pino';

import { messageOf } from '../../core/index.js';
import { type LinkEvent, type LinkInfo, NetnsHandle } from '../../kernel/index.js';
import { locateNetns, parseNetnsUrl } from '../kernel-mechanism/index.js';

/** Receives the links of one namespace as they come and go (by name). */
export interface NamespaceLinkSink {
  linkAdded(link: LinkInfo): void;
  linkRemoved(link: LinkInfo): void;
}

/**
 * The link events of one namespace, for as long as anyone watches an interface there: one netlink
 * subscription (one socket) per namespace, whatever the number of connections. Renames are reported
 * as the old name removed and the new one added.
 */
export class NamespaceWatch {
  private readonly controller = new AbortController();
  private readonly byIndex = new Map<number, LinkInfo>();

  constructor(
    readonly netnsUrl: string,
    private readonly sink: NamespaceLinkSink,
    private readonly logger: Logger,
  ) {
    void this.run();
  }

  /** The link named `name` if it exists now. */
  find(name: string): LinkInfo | undefined {
    for (const link of this.byIndex.values()) if (link.name === name) return link;
    return undefined;
  }

  stop(): void {
    this.controller.abort();
  }

  private async run(): Promise<void> {
    let handle: NetnsHandle | undefined;
    try {
      const located = await locateNetns(parseNetnsUrl(this.netnsUrl));
      if (this.controller.signal.aborted) return;
      handle = new NetnsHandle(located.path, located.label);
      for await (const event of handle.watchLinks({ existing: true, signal: this.controller.signal })) {
        this.apply(event);
      }
    } catch (error) {
      if (!this.controller.signal.aborted) {
        this.logger.warn(
          { netns: this.netnsUrl, error: messageOf(error) },
          'interface monitor: cannot watch the links of this namespace',
        );
      }
    } finally {
      handle?.close();
    }
  }

  private apply(event: LinkEvent): void {
    const before = this.byIndex.get(event.index);
    if (event.type === 'removed') {
      this.byIndex.delete(event.index);
      this.sink.linkRemoved(before ?? event.link);
      return;
    }
    this.byIndex.set(event.index, event.link);
    if (before !== undefined && before.name !== event.link.name) this.sink.linkRemoved(before);
    if (before === undefined || before.name !== event.link.name) this.sink.linkAdded(event.link);
  }
}
