import { setMaxListeners } from 'node:events';
import { connect, type Socket } from 'node:net';

import { decodeHostHeader, MIN_PACKET_SIZE } from './protocol.js';
import { ExactReader } from './reader.js';
import { type ConnStats, newConnStats, NS_PER_MS, type Sample, type Statistics } from './stats.js';

export interface CtrafficClientOptions {
  readonly host: string;
  readonly port: number;
  /** Long-lived connections kept open for the whole run (ctraffic `-nconn`). */
  readonly nconn: number;
  /** Total KB/s over the long-lived connections (ctraffic `-rate`). */
  readonly rateKBps: number;
  readonly packetSize: number;
  readonly durationMs: number;
  /** Open a new connection after a failure (ctraffic `-reconnect`). */
  readonly reconnect: boolean;
  /** New short connections opened per second for churn, besides the long-lived ones (0: none). */
  readonly newConnsPerSecond?: number;
  /** How long each churn connection lives; it exchanges a packet every `churnIntervalMs`. */
  readonly churnLifetimeMs?: number;
  readonly churnIntervalMs?: number;
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
  /** Called once per second with the running totals (ctraffic `-monitor`). */
  readonly onSample?: (sample: Sample, active: number) => void;
  readonly signal?: AbortSignal;
}

const DIAL_TIMEOUT_MS = 1500;
const READ_TIMEOUT_MS = 1000;
/** ctraffic stops opening new connections when less than this remains. */
const NO_NEW_CONNECTIONS_MS = 2000;

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One client run: long-lived connections at a fixed rate plus optional churn; returns ctraffic statistics. */
export async function runCtrafficClient(options: CtrafficClientOptions): Promise<Statistics> {
  const packetSize = Math.max(MIN_PACKET_SIZE, options.packetSize);
  const connectTimeoutMs = options.connectTimeoutMs ?? DIAL_TIMEOUT_MS;
  const readTimeoutMs = options.readTimeoutMs ?? READ_TIMEOUT_MS;
  const startedAt = Date.now();
  const endAt = startedAt + options.durationMs;
  const stop = new AbortController();
  // Every connection waits on this one signal.
  setMaxListeners(0, stop.signal);
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const endTimer = setTimeout(() => stop.abort(), options.durationMs);
  const sinceStartNs = (): number => (Date.now() - startedAt) * NS_PER_MS;

  const connections: ConnStats[] = [];
  const totals = { failedConnects: 0, failedConnections: 0, active: 0 };
  const sendIntervalMs =
    options.nconn > 0 && options.rateKBps > 0
      ? (packetSize * options.nconn) / (options.rateKBps * 1.024)
      : 1000;

  /** One connection's life: dial, exchange packets every `intervalMs` until `untilMs`, record the outcome. */
  async function exchange(intervalMs: number, untilMs: number): Promise<'ok' | 'failed'> {
    const stats = newConnStats(sinceStartNs());
    connections.push(stats);
    let socket: Socket | undefined;
    try {
      socket = await dial(options.host, options.port, connectTimeoutMs);
      totals.active++;
      stats.Connect = sinceStartNs();
      stats.Local = `${socket.localAddress}:${socket.localPort}`;
      stats.Remote = `${socket.remoteAddress}:${socket.remotePort}`;
      const reader = new ExactReader(socket);
      const packet = Buffer.alloc(packetSize);
      let nextSend = Date.now();
      while (!stop.signal.aborted && Date.now() < untilMs) {
        socket.write(packet);
        stats.Sent++;
        const reply = await reader.read(packetSize, readTimeoutMs);
        stats.Received++;
        if (stats.Host === undefined) stats.Host = decodeHostHeader(reply);
        nextSend += intervalMs;
        const now = Date.now();
        if (now > nextSend + intervalMs) {
          // Fell behind the rate (e.g. a retransmit stall): skip the missed packets, as ctraffic does.
          const missed = Math.floor((now - nextSend) / intervalMs);
          stats.Dropped += missed;
          nextSend += missed * intervalMs;
        }
        await wait(Math.min(nextSend, untilMs) - Date.now(), stop.signal);
      }
      stats.Ended = sinceStartNs();
      return 'ok';
    } catch (error) {
      stats.Ended = sinceStartNs();
      stats.Err = error instanceof Error ? error.message : String(error);
      if (stats.Connect === 0) totals.failedConnects++;
      else totals.failedConnections++;
      return 'failed';
    } finally {
      if (socket) {
        totals.active--;
        socket.destroySoon();
      }
    }
  }

  async function longLived(): Promise<void> {
    let backoffMs = 0;
    for (;;) {
      const outcome = await exchange(sendIntervalMs, endAt);
      if (outcome === 'ok' || !options.reconnect || stop.signal.aborted) return;
      if (endAt - Date.now() < NO_NEW_CONNECTIONS_MS) return;
      backoffMs = Math.min(1000, backoffMs + 100);
      await wait(backoffMs, stop.signal);
    }
  }

  async function churn(perSecond: number): Promise<void> {
    const lifetime = options.churnLifetimeMs ?? 1000;
    const interval = options.churnIntervalMs ?? 200;
    const pending: Promise<unknown>[] = [];
    const gapMs = 1000 / perSecond;
    let next = Date.now();
    while (!stop.signal.aborted && endAt - Date.now() > Math.min(NO_NEW_CONNECTIONS_MS, lifetime)) {
      pending.push(exchange(interval, Math.min(Date.now() + lifetime, endAt)));
      next += gapMs;
      await wait(next - Date.now(), stop.signal);
    }
    await Promise.all(pending);
  }

  const samples: Sample[] = [];
  const sampler = setInterval(() => {
    const sample = totalsOf(connections, sinceStartNs());
    samples.push(sample);
    options.onSample?.(sample, totals.active);
  }, 1000);

  try {
    const workers: Promise<unknown>[] = [];
    for (let i = 0; i < options.nconn; i++) workers.push(longLived());
    if ((options.newConnsPerSecond ?? 0) > 0) workers.push(churn(options.newConnsPerSecond!));
    await Promise.all(workers);
  } finally {
    clearTimeout(endTimer);
    clearInterval(sampler);
    options.signal?.removeEventListener('abort', onAbort);
  }

  const sum = totalsOf(connections, sinceStartNs());
  return {
    Started: new Date(startedAt).toISOString(),
    Duration: sinceStartNs(),
    Rate: options.rateKBps,
    Connections: options.nconn,
    PacketSize: packetSize,
    FailedConnections: totals.failedConnections,
    Sent: sum.Sent,
    Received: sum.Received,
    Dropped: sum.Dropped,
    Retransmits: 0,
    FailedConnects: totals.failedConnects,
    ConnStats: connections,
    Samples: samples,
  };
}

function totalsOf(connections: readonly ConnStats[], timeNs: number): Sample {
  const sample: Sample = { Time: timeNs, Sent: 0, Received: 0, Dropped: 0 };
  for (const c of connections) {
    sample.Sent += c.Sent;
    sample.Received += c.Received;
    sample.Dropped += c.Dropped;
  }
  return sample;
}
