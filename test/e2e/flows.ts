/**
 * Fixed flows for the e2e tests: TCP connections from chosen source ports of the external host, each
 * answering with the ctraffic host header of the target it reached, then reset (no TIME_WAIT), so the
 * same five-tuple can be sent again — through another LB. Use source ports below the ephemeral range
 * (32768+), where no other connection of the host lingers in TIME_WAIT.
 */
import { spawn } from 'node:child_process';

/** Runs inside the external host's namespace; prints {"<port>": "<host>"} as JSON. */
const FLOW_SCRIPT = `
const net = require('node:net');
const [host, port, first, count] = process.argv.slice(1);
const hosts = {};
function one(localPort) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port), localPort });
    const timer = setTimeout(() => { socket.destroy(); resolve('timeout'); }, 3000);
    let reply = Buffer.alloc(0);
    socket.on('connect', () => socket.write(Buffer.alloc(64)));
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk]);
      if (reply.length < 64) return;
      clearTimeout(timer);
      const end = reply.indexOf(0);
      socket.resetAndDestroy();
      resolve(reply.subarray(0, end < 0 ? 64 : Math.min(end, 64)).toString());
    });
    socket.on('error', (error) => { clearTimeout(timer); resolve('error: ' + error.code); });
  });
}
(async () => {
  const ports = Array.from({ length: Number(count) }, (_, i) => Number(first) + i);
  await Promise.all(ports.map(async (p) => { hosts[p] = await one(p); }));
  process.stdout.write(JSON.stringify(hosts));
})();
`;

/** The target each flow from `firstPort`…`firstPort+count-1` to `host:port` reached, by source port. */
export function flowsFrom(
  namespace: string,
  host: string,
  port: number,
  firstPort: number,
  count: number,
): Promise<Record<string, string>> {
  return scriptIn<Record<string, string>>(namespace, FLOW_SCRIPT, [
    host,
    String(port),
    String(firstPort),
    String(count),
  ]);
}

/** Runs a Node `script` with `args` inside `namespace`; resolves with what it printed, as JSON. */
export function scriptIn<T>(namespace: string, script: string, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`the script in ${namespace} failed (${code}): ${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}
