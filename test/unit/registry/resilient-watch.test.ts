import * as grpc from '@grpc/grpc-js';
import pino from 'pino';

import { msToTimestamp, timestampToMs, UnavailableError } from '../../../sdk/core/index.js';
import { AsyncQueue } from '../../../sdk/registry/async-queue.js';
import type { ServerStream } from '../../../sdk/registry/grpc-transport.js';
import {
  newNetworkServiceEndpoint,
  type NetworkServiceEndpoint,
  type RegistryEvent,
  REGISTRY_INSTANCE_HEADER,
  REGISTRY_SNAPSHOT_SIZE_HEADER,
} from '../../../sdk/registry/index.js';
import { resilientWatch } from '../../../sdk/registry/resilient-watch.js';
import { FakeClock } from '../../../sdk/testing/index.js';

type Event = RegistryEvent<NetworkServiceEndpoint>;

/** Streams the test feeds by hand, one per `open`. */
function scriptedSource() {
  const streams: Array<{
    messages: AsyncQueue<Event>;
    cancelled: boolean;
    sendHeaders: (h: grpc.Metadata) => void;
  }> = [];
  return {
    streams,
    source: {
      open: (): ServerStream<Event> => {
        let sendHeaders: (headers: grpc.Metadata) => void = () => undefined;
        const headers = new Promise<grpc.Metadata>((resolve) => (sendHeaders = resolve));
        const entry = { messages: new AsyncQueue<Event>(), cancelled: false, sendHeaders };
        streams.push(entry);
        return {
          headers,
          messages: entry.messages,
          cancel: () => {
            entry.cancelled = true;
            entry.messages.end();
          },
        };
      },
      keyOf: (endpoint: NetworkServiceEndpoint) => endpoint.name,
      graceDeadline: (endpoint: NetworkServiceEndpoint, now: number) =>
        timestampToMs(endpoint.expiration_time) ?? now,
    },
  };
}

function headers(values: Record<string, string> = {}): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(values)) metadata.set(key, value);
  return metadata;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

const short = (event: Event) => `${event.deleted ? '-' : '+'}${event.item.name}`;

describe('resilientWatch', () => {
  const clock = new FakeClock();
  const endpoint = (name: string, expiresInMs: number) =>
    newNetworkServiceEndpoint({ name, url: 'x', expiration_time: msToTimestamp(clock.now() + expiresInMs) });

  async function setUp() {
    const { source, streams } = scriptedSource();
    const seen: string[] = [];
    const iterator = resilientWatch(source, {
      clock,
      logger: pino({ level: 'silent' }),
      reconnect: { initialMs: 100, maxMs: 100 },
    })[Symbol.asyncIterator]();
    let ended = false;
    void (async () => {
      for (let result = await iterator.next(); !result.done; result = await iterator.next())
        seen.push(short(result.value));
      ended = true;
    })();
    await flush();
    return { streams, seen, iterator, ended: () => ended };
  }

  it('keeps items a registry that does not identify itself no longer lists until their grace deadline', async () => {
    const { streams, seen, iterator } = await setUp();
    const a = endpoint('a', 5000);
    const b = endpoint('b', 8000);
    streams[0]?.sendHeaders(headers());
    streams[0]?.messages.push({ item: a, deleted: false });
    streams[0]?.messages.push({ item: b, deleted: false });
    await flush();
    expect(seen).toEqual(['+a', '+b']);

    streams[0]?.messages.fail(new UnavailableError('registry went away'));
    await flush();
    await clock.advance(100);
    expect(streams).toHaveLength(2);
    streams[1]?.sendHeaders(headers());
    streams[1]?.messages.push({ item: a, deleted: false });
    await flush();
    expect(seen).toEqual(['+a', '+b']);

    await clock.advance(7000);
    expect(seen).toEqual(['+a', '+b']);
    await clock.advance(1000);
    expect(seen).toEqual(['+a', '+b', '-b']);
    await iterator.return?.();
    await flush();
    expect(streams[1]?.cancelled).toBe(true);
  });

  it('trusts the snapshot of the same registry and waits for a restarted one', async () => {
    const { streams, seen, iterator, ended } = await setUp();
    streams[0]?.sendHeaders(
      headers({ [REGISTRY_INSTANCE_HEADER]: 'one', [REGISTRY_SNAPSHOT_SIZE_HEADER]: '2' }),
    );
    streams[0]?.messages.push({ item: endpoint('a', 60_000), deleted: false });
    streams[0]?.messages.push({ item: endpoint('b', 60_000), deleted: false });
    await flush();

    // Same instance, snapshot of one: 'b' went away while the watch was disconnected.
    streams[0]?.messages.end();
    await flush();
    await clock.advance(100);
    const a = endpoint('a', 60_000);
    streams[1]?.sendHeaders(
      headers({ [REGISTRY_INSTANCE_HEADER]: 'one', [REGISTRY_SNAPSHOT_SIZE_HEADER]: '1' }),
    );
    streams[1]?.messages.push({ item: a, deleted: false });
    await flush();
    expect(seen).toEqual(['+a', '+b', '+a', '-b']);

    // A new instance with an empty snapshot: 'a' is kept, then returns unchanged, so nothing is reported.
    streams[1]?.messages.end();
    await flush();
    await clock.advance(100);
    streams[2]?.sendHeaders(
      headers({ [REGISTRY_INSTANCE_HEADER]: 'two', [REGISTRY_SNAPSHOT_SIZE_HEADER]: '0' }),
    );
    await flush();
    await clock.advance(30_000);
    streams[2]?.messages.push({ item: a, deleted: false });
    await flush();
    await clock.advance(60_000);
    expect(seen).toEqual(['+a', '+b', '+a', '-b']);
    expect(clock.pendingTimers).toBe(0);

    await iterator.return?.();
    await flush();
    expect(ended()).toBe(true);
    expect(streams).toHaveLength(3);
  });
});
