import type { ServerResponse } from 'node:http';

import type { ResourceKind } from './kinds.js';
import type { Selector } from './selectors.js';
import type { StoredEvent } from './store.js';
import type { EventType, KubeObject, Status } from './types.js';

export interface WatchFilter {
  readonly kind: ResourceKind;
  readonly namespace: string | undefined;
  readonly selector: Selector;
  readonly bookmarks: boolean;
}

/**
 * One open watch response: newline-delimited JSON events over a chunked 200 response, as the API
 * server streams them. Events of objects that start or stop matching the selector become ADDED or
 * DELETED, as in Kubernetes.
 */
export class WatchStream {
  private ended = false;

  constructor(
    private readonly response: ServerResponse,
    readonly filter: WatchFilter,
    onEnd: () => void,
  ) {
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    response.on('close', () => {
      this.ended = true;
      onEnd();
    });
  }

  get open(): boolean {
    return !this.ended;
  }

  /** Sends `event` as this watch should see it, if at all. */
  deliver(event: StoredEvent): void {
    const { kind, namespace, selector } = this.filter;
    if (event.kind !== kind) return;
    if (namespace !== undefined && event.object.metadata.namespace !== namespace) return;
    const matchesNow = selector(event.object);
    const matchedBefore = event.previous !== undefined && selector(event.previous);
    let type: EventType | undefined;
    if (event.type === 'MODIFIED') {
      type = matchesNow ? (matchedBefore ? 'MODIFIED' : 'ADDED') : matchedBefore ? 'DELETED' : undefined;
    } else if (matchesNow) {
      type = event.type;
    }
    if (type) this.send(type, event.object);
  }

  send(type: EventType | 'BOOKMARK' | 'ERROR', object: KubeObject | Status): void {
    if (this.ended) return;
    this.response.write(`${JSON.stringify({ type, object })}\n`);
  }

  bookmark(resourceVersion: number, apiVersion: string): void {
    if (!this.filter.bookmarks) return;
    this.send('BOOKMARK', {
      apiVersion,
      kind: this.filter.kind.kind,
      metadata: { resourceVersion: String(resourceVersion) },
    });
  }

  /** Drops the connection without ending the stream, as when the API server crashes. */
  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.response.destroy();
  }

  /** Ends the stream cleanly, as the API server does when a watch times out. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.response.end();
  }
}
