/**
 * Runs inside the external host's namespace for `bench:config`: for each line `{"address", "port",
 * "hosts"}` on stdin it opens connections to the VIP until `hosts` different targets have answered (the
 * ctraffic host header), then writes `{"ok": true}`. Polling from inside the namespace avoids a process
 * start per attempt.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

import { decodeHostHeader, HOST_HEADER_BYTES } from '../../../clients/ctraffic/index.js';

interface Probe {
  address: string;
  port: number;
  hosts: number;
}

/** The host that answers one connection, or undefined when it does not within `timeoutMs`. */
function answeringHost(address: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    let received = Buffer.alloc(0);
    const done = (host: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(host);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('connect', () => socket.write(Buffer.alloc(HOST_HEADER_BYTES)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= HOST_HEADER_BYTES) done(decodeHostHeader(received));
    });
    socket.once('error', () => done(undefined));
  });
}

/** A batch of connections starts this often; the measurement's resolution. */
const BATCH_EVERY_MS = 20;
/** Connections per batch: each new connection is a new flow, hashed to some target. */
const BATCH_SIZE = 8;
/** A connection without an answer by then is given up (its SYN was dropped before the VIP was in place). */
const ATTEMPT_TIMEOUT_MS = 300;

/**
 * A new batch every BATCH_EVERY_MS, not once the previous one has timed out: a SYN sent before the
 * VIP is in place is dropped, and waiting for its timeout made every measurement at least that long.
 */
async function reachEvery(probe: Probe): Promise<void> {
  const seen = new Set<string>();
  let answered: () => void = () => undefined;
  const everyHost = new Promise<void>((resolve) => (answered = resolve));
  const batch = (): void => {
    for (let i = 0; i < BATCH_SIZE; i++) {
      void answeringHost(probe.address, probe.port, ATTEMPT_TIMEOUT_MS).then((host) => {
        if (host) seen.add(host);
        if (seen.size >= probe.hosts) answered();
      });
    }
  };
  batch();
  const timer = setInterval(batch, BATCH_EVERY_MS);
  await everyHost;
  clearInterval(timer);
}

for await (const line of createInterface({ input: process.stdin })) {
  await reachEvery(JSON.parse(line) as Probe);
  process.stdout.write('{"ok":true}\n');
}
