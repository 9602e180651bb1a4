import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The two transports every gRPC test runs over; a unix socket in a fresh temp folder, or TCP port 0. */
export type Transport = 'unix' | 'tcp';
export const TRANSPORTS: readonly Transport[] = ['unix', 'tcp'];

export interface ListenAddress {
  readonly listen: string;
  /** The address a client dials, once the server is bound (the TCP port is known only then). */
  dial(port: number): string;
  cleanup(): void;
}

export function listenAddress(transport: Transport): ListenAddress {
  if (transport === 'tcp') {
    return { listen: '127.0.0.1:0', dial: (port) => `127.0.0.1:${port}`, cleanup: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'meridio-grpc-'));
  const path = join(dir, 'nse.sock');
  return {
    listen: `unix://${path}`,
    dial: () => `unix://${path}`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
