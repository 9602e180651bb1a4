/** Drives traffic-agent.mjs inside a namespace over JSON lines. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('./traffic-agent.mjs', import.meta.url));

export interface UdpFlowResult {
  readonly port: number;
  /** Per datagram, the name of the target that answered, or null. */
  readonly replies: (string | null)[];
}

export interface TcpResult {
  readonly port: number | null;
  /** The name of the target that answered, or null. */
  readonly target: string | null;
  /** null, 'timeout', 'closed' or the socket's error code (e.g. 'ECONNRESET'). */
  readonly error: string | null;
}

/** UDP sockets a target answers on: bound to its VIPs, so replies leave with the VIP as source. */
export interface UdpService {
  readonly port: number;
  readonly addresses: readonly string[];
}

export class TrafficAgent {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly namespace: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(namespace: string): Promise<TrafficAgent> {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, AGENT], { stdio: 'pipe' });
    const agent = new TrafficAgent(namespace, child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => {
        const error = new Error(`traffic agent in ${namespace} exited with ${code}: ${stderr}`);
        for (const waiter of agent.pending.values()) waiter.reject(error);
        agent.pending.clear();
        reject(error);
      });
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        const message = JSON.parse(line) as {
          ready?: boolean;
          id?: number;
          result?: unknown;
          error?: string;
        };
        if (message.ready) return resolve();
        const waiter = agent.pending.get(message.id ?? -1);
        agent.pending.delete(message.id ?? -1);
        if (message.error !== undefined) waiter?.reject(new Error(`agent in ${namespace}: ${message.error}`));
        else waiter?.resolve(message.result);
      });
    });
    return agent;
  }

  private call<T>(op: string, args: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  /** Answers with `name` on TCP `tcpPort` (all addresses) and, if given, on the UDP sockets. */
  serve(name: string, tcpPort: number, udp?: UdpService): Promise<unknown> {
    return this.call('serve', { name, tcpPort, udpPort: udp?.port, addresses: udp?.addresses ?? [] });
  }

  /** `flows` sockets send `packets` datagrams each; a datagram without answer is retried `attempts` times. */
  udp(host: string, port: number, flows: number, packets: number, attempts = 4): Promise<UdpFlowResult[]> {
    return this.call('udp', { host, port, flows, packets, attempts });
  }

  /** Opens `count` connections kept in `group`; each says which target answered. */
  tcpOpen(group: string, host: string, port: number, count: number): Promise<TcpResult[]> {
    return this.call('tcpOpen', { group, host, port, count });
  }

  /** Asks every connection of `group` again. */
  tcpPing(group: string): Promise<TcpResult[]> {
    return this.call('tcpPing', { group });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The agents of a topology: target i serves as `t<i>`, the client opens flows. Each agent is kept as
 * soon as it runs, so `stop()` ends every started one even when a later start failed.
 */
export class TopologyAgents {
  readonly servers: TrafficAgent[] = [];
  private clientAgent: TrafficAgent | undefined;

  get client(): TrafficAgent {
    if (this.clientAgent === undefined) throw new Error('the client agent is not started');
    return this.clientAgent;
  }

  async start(
    topology: { readonly client: string; readonly targets: readonly string[] },
    tcpPort: number,
    udp?: UdpService,
  ): Promise<void> {
    for (const [index, namespace] of topology.targets.entries()) {
      const agent = await TrafficAgent.start(namespace);
      this.servers.push(agent);
      await agent.serve(`t${index + 1}`, tcpPort, udp);
    }
    this.clientAgent = await TrafficAgent.start(topology.client);
  }

  async stop(): Promise<void> {
    await this.clientAgent?.stop();
    for (const server of this.servers) await server.stop();
  }
}

/** How many connections each target answered (errors counted as `error:<error>`). */
export function countByTarget(results: readonly TcpResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.target ?? `error:${result.error}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
