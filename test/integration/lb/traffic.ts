/** Drives traffic-agent.mjs inside a namespace over JSON lines. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('./traffic-agent.mjs', import.meta.url));

export interface TcpResult {
  readonly port: number | null;
  /** The name of the target that answered, or null. */
  readonly target: string | null;
  readonly error: string | null;
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

  serve(name: string, port: number): Promise<unknown> {
    return this.call('serve', { name, port });
  }

  /** Opens `count` connections kept in `group`; each says which target answered. */
  open(group: string, host: string, port: number, count: number): Promise<TcpResult[]> {
    return this.call('open', { group, host, port, count });
  }

  /** Asks every connection of `group` again. */
  ping(group: string): Promise<TcpResult[]> {
    return this.call('ping', { group });
  }

  closeAll(): Promise<unknown> {
    return this.call('closeAll', {});
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** How many connections each target answered (null = no answer). */
export function countByTarget(results: readonly TcpResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.target ?? `error:${result.error}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
