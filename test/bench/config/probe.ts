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

async function reachEvery(probe: Probe): Promise<void> {
  const seen = new Set<string>();
  while (seen.size < probe.hosts) {
    // Several at once: each new connection is a new flow, hashed to some target.
    const hosts = await Promise.all(
      Array.from({ length: 8 }, () => answeringHost(probe.address, probe.port, 250)),
    );
    for (const host of hosts) if (host) seen.add(host);
    if (hosts.every((host) => host === undefined)) await new Promise((r) => setTimeout(r, 10));
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  await reachEvery(JSON.parse(line) as Probe);
  process.stdout.write('{"ok":true}\n');
}
