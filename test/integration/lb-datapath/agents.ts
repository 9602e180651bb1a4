/** Starts agent.mjs inside a namespace and calls it over JSON lines. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const AGENT = fileURLToPath(new URL('./agent.mjs', import.meta.url));

export interface UdpFlowResult {
  port: number;
  replies: (string | null)[];
}

export interface TcpResult {
  port: number | null;
  target: string | null;
  error: string | null;
}

export class Agent {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private readonly exited: Promise<void>;

  private constructor(
    readonly namespace: string,
    private readonly child: ChildProcessWithoutNullStreams,
    readonly ready: Promise<void>,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(namespace: string): Promise<Agent> {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, AGENT], { stdio: 'pipe' });
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      child.once('exit', (code) => reject(new Error(`agent in ${namespace} exited with ${code}`)));
    });
    const agent = new Agent(namespace, child, ready);
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: boolean; id?: number; result?: unknown; error?: string };
      if (message.ready) return markReady();
      const waiter = agent.pending.get(message.id ?? -1);
      agent.pending.delete(message.id ?? -1);
      if (message.error !== undefined) waiter?.reject(new Error(`agent in ${namespace}: ${message.error}`));
      else waiter?.resolve(message.result);
    });
    child.once('exit', (code) => {
      for (const waiter of agent.pending.values()) {
        waiter.reject(new Error(`agent in ${namespace} exited with ${code}: ${stderr.join('')}`));
      }
      agent.pending.clear();
    });
    await ready;
    return agent;
  }

  call<T>(op: string, args: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  serve(name: string, addresses: string[], tcpPort: number, udpPort: number): Promise<unknown> {
    return this.call('serve', { name, addresses, tcpPort, udpPort });
  }

  /** `flows` sockets send `packets` datagrams each; a datagram without answer is retried `attempts` times. */
  udp(host: string, port: number, flows: number, packets: number, attempts = 4): Promise<UdpFlowResult[]> {
    return this.call('udp', { host, port, flows, packets, attempts });
  }

  tcpOpen(group: string, host: string, port: number, count: number): Promise<TcpResult[]> {
    return this.call('tcpOpen', { group, host, port, count });
  }

  tcpPing(group: string): Promise<TcpResult[]> {
    return this.call('tcpPing', { group });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
