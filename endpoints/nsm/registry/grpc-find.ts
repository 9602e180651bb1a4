/**
 * Serves a registry Find stream: without `watch`, the current matches and the end; with `watch`, the
 * current matches, then every change as it happens until the client cancels or the registry closes.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import {
  REGISTRY_INSTANCE_HEADER,
  REGISTRY_SNAPSHOT_SIZE_HEADER,
  type RegistryEvent,
} from '../../../sdk/registry/index.js';
import type { RegistrySubscription, RegistryWatcher } from './registry.js';
import { toServerStatus } from '../../../sdk/grpc/index.js';
import { responseHeaders } from './grpc-headers.js';

export interface FindSource<T, R> {
  readonly watch: boolean;
  readonly instanceId: string;
  find(): T[];
  subscribe(watcher: RegistryWatcher<T>): RegistrySubscription<T>;
  toResponse(event: RegistryEvent<T>): R;
  readonly logger: Logger;
}

export function serveFind<Q, T, R>(call: grpc.ServerWritableStream<Q, R>, source: FindSource<T, R>): void {
  const headers = responseHeaders(call);
  headers.set(REGISTRY_INSTANCE_HEADER, source.instanceId);
  try {
    if (!source.watch) {
      const items = source.find();
      headers.set(REGISTRY_SNAPSHOT_SIZE_HEADER, String(items.length));
      call.sendMetadata(headers);
      for (const item of items) call.write(source.toResponse({ item, deleted: false }));
      call.end();
      return;
    }
    serveWatch(call, source, headers);
  } catch (error) {
    call.emit('error', toServerStatus(error));
  }
}

function serveWatch<Q, T, R>(
  call: grpc.ServerWritableStream<Q, R>,
  source: FindSource<T, R>,
  headers: grpc.Metadata,
): void {
  let finished = false;
  // The registry may already be closed, in which case `onClose` runs inside `subscribe`, before the
  // subscription exists; `finished` then tells the code below to cancel it at once.
  const holder: { subscription?: RegistrySubscription<T> } = {};
  const finish = (): void => {
    finished = true;
    holder.subscription?.cancel();
  };
  call.on('cancelled', finish);
  const subscription = source.subscribe({
    onEvent: (event) => {
      if (!finished && !call.cancelled) call.write(source.toResponse(event));
    },
    onClose: () => {
      if (finished) return;
      finish();
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the registry is shutting down' });
    },
  });
  holder.subscription = subscription;
  if (finished) {
    subscription.cancel();
    return;
  }
  // Headers go out before the snapshot even when it is empty, so a client knows the watch is in place.
  headers.set(REGISTRY_SNAPSHOT_SIZE_HEADER, String(subscription.snapshot.length));
  call.sendMetadata(headers);
  for (const item of subscription.snapshot) call.write(source.toResponse({ item, deleted: false }));
  source.logger.debug({ snapshot: subscription.snapshot.length }, 'watch started');
}
