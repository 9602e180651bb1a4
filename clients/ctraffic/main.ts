/** `meridio ctraffic`: the ctraffic server, client or report analysis, chosen by the flags. */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

import { InvalidArgumentError, messageOf } from '../../sdk/core/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { createLogger } from '../../sdk/log/index.js';
import { Counter, metricsSetting, startProcessMetrics } from '../../sdk/metrics/index.js';
import {
  EXIT_BAD_SETTINGS,
  loadSettings,
  setting,
  waitForTermination,
  type Setting,
  type SettingsValues,
} from '../../sdk/settings/index.js';
import { analyzeHosts, formatHostTable } from './analyze.js';
import { runCtrafficClient } from './client.js';
import { startCtrafficServer } from './server.js';
import type { Statistics } from './stats.js';

/** A non-negative decimal number (ctraffic's `-rate` is a float). */
function decimal(description: string, defaultValue: number): Setting<number> {
  return Object.freeze({
    description,
    defaultValue,
    placeholder: '<number>',
    isSwitch: false,
    parse: (text: string): number => {
      const value = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(value)) throw new Error('a number of at least 0, such as 10 or 2.5');
      return value;
    },
    format: String,
  });
}

/** The flags of Nordix/ctraffic (`-server`, `-address`, `-nconn`, …) in this project's `--kebab-case` form. */
const CTRAFFIC_SETTINGS = {
  server: setting.boolean({ description: 'act as the echo server, listening on --address', default: false }),
  address: setting.string({
    placeholder: 'host:port',
    description:
      'server: the address to listen on; client: the server to connect to ([v6]:port, v4:port or :port); empty: [::]:5000 for a server, [::1]:5000 for a client',
    default: '',
    allowEmpty: true,
  }),
  hostname: setting.string({
    description:
      "the name a server writes at the start of every connection's first reply (network namespaces share the host's name)",
    default: hostname(),
  }),
  nconn: setting.integer({
    description: 'long-lived connections kept open by the client',
    default: 1,
    min: 0,
  }),
  rate: decimal('total KB/s sent over the long-lived connections', 10),
  psize: setting.integer({ description: 'packet size in bytes (at least 64)', default: 1024, min: 1 }),
  timeout: setting.duration({ description: 'how long the client runs', default: 10_000, minMs: 1 }),
  reconnect: setting.boolean({ description: 'open a new connection after one fails', default: true }),
  newConnRate: decimal(
    'churn: short connections opened per second besides the long-lived ones (each in its own ConnStats entry)',
    0,
  ),
  readTimeout: setting.duration({
    description: 'how long a connection waits for the echo of a packet before it counts as lost',
    default: 1000,
    minMs: 1,
  }),
  connLifetime: setting.duration({
    description: 'how long each churn connection lives, exchanging a packet every 200ms',
    default: 1000,
    minMs: 1,
  }),
  stats: setting.oneOf({
    values: ['none', 'summary', 'all'] as const,
    description: 'the JSON report on stdout: none, the summary, or all (adds ConnStats and Samples)',
    default: 'summary',
  }),
  monitor: setting.boolean({ description: 'print running totals to stderr every second', default: false }),
  analyze: setting.oneOf({
    values: ['', 'hosts'] as const,
    description: 'analyse a report (--stat-file) instead of sending: hosts = connections per host and lost',
    default: '',
  }),
  statFile: setting.string({
    placeholder: 'path',
    description: 'the JSON report to analyse (with --stats all); - for stdin',
    default: '-',
  }),
  metrics: metricsSetting(),
  logLevel: setting.logLevel({ description: 'the least severe level that is logged', default: 'info' }),
};

const CTRAFFIC_SUMMARY =
  "Continuous TCP traffic for disturbance tests, after Nordix/ctraffic. --server: an echo server whose first reply on each connection starts with its host name. Otherwise a client keeping --nconn connections at --rate KB/s for --timeout (plus --new-conn-rate churn), printing a JSON report with ctraffic's field names. --analyze hosts --stat-file F: connections per host and lost connections of a report.";

interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `[v6]:port`, `v4:port`, `name:port` or `:port` (any address, as Go's net package reads it). */
function parseHostPort(text: string, anyHost: string): HostPort {
  const match = /^(\[[0-9a-fA-F:.%a-zA-Z]+\]|[A-Za-z0-9._-]*):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new InvalidArgumentError(
      `"${text}" is not an address: write [ipv6]:port, ipv4:port, name:port or :port.`,
    );
  }
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { host: host === '' ? anyHost : host, port };
}

type Settings = SettingsValues<typeof CTRAFFIC_SETTINGS>;

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(CTRAFFIC_SETTINGS, argv, env, {
    usage: 'meridio ctraffic [--server] [settings]',
    summary: CTRAFFIC_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  if (settings.analyze === 'hosts') return analyze(settings.statFile);
  const fallback = settings.server ? `[::]:${DEFAULTS.ctrafficPort}` : `[::1]:${DEFAULTS.ctrafficPort}`;
  let address: HostPort;
  try {
    address = parseHostPort(
      settings.address === '' ? fallback : settings.address,
      settings.server ? '::' : '::1',
    );
  } catch (error) {
    process.stderr.write(
      `meridio ctraffic: setting address (--address / NSM_ADDRESS): ${messageOf(error)}\n`,
    );
    return EXIT_BAD_SETTINGS;
  }
  return settings.server ? serve(settings, address) : client(settings, address);
}

async function serve(settings: Settings, address: HostPort): Promise<number> {
  const logger = createLogger('ctraffic', settings.logLevel).child({ hostname: settings.hostname });
  let server;
  let metrics;
  try {
    server = await startCtrafficServer({ ...address, hostname: settings.hostname, logger });
    metrics = await startProcessMetrics({ listen: settings.metrics, component: 'ctraffic', logger });
  } catch (error) {
    await server?.close();
    logger.fatal({ error: messageOf(error) }, 'cannot start');
    process.stderr.write(`meridio ctraffic: ${messageOf(error)}\n`);
    return 1;
  }
  const accepted = server;
  new Counter({
    name: 'ctraffic_server_connections_total',
    help: 'TCP connections the server accepted since it started',
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(accepted.connections());
    },
  });
  const signal = await waitForTermination();
  // The open connections' peers, so a removed target's lost connections can be told from others.
  logger.info({ signal, connections: server.connections(), open: server.openPeers() }, 'stopping');
  await server.close();
  await metrics.close();
  return 0;
}

async function client(settings: Settings, address: HostPort): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let stats: Statistics;
  try {
    stats = await runCtrafficClient({
      host: address.host,
      port: address.port,
      nconn: settings.nconn,
      rateKBps: settings.rate,
      packetSize: settings.psize,
      durationMs: settings.timeout,
      reconnect: settings.reconnect,
      newConnsPerSecond: settings.newConnRate,
      churnLifetimeMs: settings.connLifetime,
      readTimeoutMs: settings.readTimeout,
      signal: stop.signal,
      ...(settings.monitor
        ? {
            onSample: (sample, active) =>
              process.stderr.write(
                `Conn act: ${active}, Packets send/rec/dropped: ${sample.Sent}/${sample.Received}/${sample.Dropped}\n`,
              ),
          }
        : {}),
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  if (settings.stats === 'none') return 0;
  const report: Statistics =
    settings.stats === 'all' ? stats : { ...stats, ConnStats: undefined, Samples: undefined };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}

async function analyze(statFile: string): Promise<number> {
  let text: string;
  try {
    text = statFile === '-' ? await readStdin() : await readFile(statFile, 'utf8');
  } catch (error) {
    process.stderr.write(`meridio ctraffic: cannot read the report ${statFile}: ${messageOf(error)}\n`);
    return 1;
  }
  let stats: Statistics;
  try {
    stats = JSON.parse(text) as Statistics;
  } catch (error) {
    process.stderr.write(`meridio ctraffic: the report ${statFile} is not JSON: ${messageOf(error)}\n`);
    return 1;
  }
  if (!Array.isArray(stats.ConnStats)) {
    process.stderr.write(
      `meridio ctraffic: the report ${statFile} has no ConnStats: run the client with --stats all to analyse hosts.\n`,
    );
    return 1;
  }
  process.stdout.write(`${formatHostTable(analyzeHosts(stats))}\n`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
