/**
 * Building blocks of the embedded NSM tests: endpoints (served over gRPC on a unix socket, with the
 * KERNEL mechanism in a test namespace and a point-to-point IPAM) and clients (the standard client with
 * the KERNEL mechanism, interface naming and heal), talking to an NSM at a unix address.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino, { type Logger } from 'pino';

import { type Client, type Endpoint, newClient, newEndpoint } from '../../../sdk/chains/index.js';
import {
  type Connection,
  Context,
  healClient,
  type NetworkServiceServer,
  opaqueTokenGenerator,
} from '../../../sdk/core/index.js';
import {
  GrpcChannelCache,
  grpcConnect,
  type RunningGrpcServer,
  serveEndpoint,
} from '../../../sdk/grpc/index.js';
import { interfaceNameClient, interfaceNameServer } from '../../../sdk/middleware/interface-name/index.js';
import {
  kernelMechanismClient,
  kernelMechanismServer,
} from '../../../sdk/middleware/kernel-mechanism/index.js';
import { countServer, type CountingServer } from '../../../sdk/testing/index.js';
import { type RunningNsm, startNsm } from '../../../endpoints/nsm/index.js';
import type { Registry } from '../../../endpoints/nsm/registry/index.js';
import { createRegistryClient, type RegistryClient } from '../../../sdk/registry/index.js';
import { p2pIpam, type P2pIpamOptions } from './p2p-ipam.js';

/** Logs to stderr when NSM_TEST_LOG names a level (e.g. `debug`), silent otherwise. */
export function testLogger(): Logger {
  const level = process.env.NSM_TEST_LOG;
  return level ? pino({ level }, pino.destination(2)) : pino({ level: 'silent' });
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'nsm-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestEndpointOptions {
  readonly name: string;
  readonly service: string;
  /** The named namespace its interfaces go into. */
  readonly netns: string;
  readonly socketDir: string;
  readonly ipam: P2pIpamOptions;
  readonly labels?: Record<string, string>;
  /** Extra elements after the IPAM (e.g. one that sets MTU or policies). */
  readonly extra?: NetworkServiceServer[];
}

export interface TestEndpoint {
  readonly name: string;
  readonly url: string;
  readonly endpoint: Endpoint;
  readonly counter: CountingServer;
  /** Stops serving at once, without unregistering (a crash). */
  kill(): void;
  stop(): Promise<void>;
}

/** An endpoint served on `<socketDir>/<name>.sock`. Registration is up to the caller. */
export async function startTestEndpoint(options: TestEndpointOptions): Promise<TestEndpoint> {
  const lifetime = new AbortController();
  const counter = countServer();
  const endpoint = newEndpoint({
    name: options.name,
    signal: lifetime.signal,
    additional: [
      counter,
      p2pIpam(options.ipam),
      ...(options.extra ?? []),
      kernelMechanismServer({ netns: options.netns }),
      interfaceNameServer({ prefix: 'nse' }),
    ],
  });
  const url = `unix://${join(options.socketDir, `${options.name}.sock`)}`;
  const server: RunningGrpcServer = await serveEndpoint({
    listen: url,
    chain: endpoint.element,
    monitor: endpoint.monitor,
    context: Context.background({ logger: testLogger() }),
  });
  return {
    name: options.name,
    url,
    endpoint,
    counter,
    kill: () => {
      lifetime.abort();
      server.server.forceShutdown();
    },
    stop: async () => {
      lifetime.abort();
      await server.stop(500);
    },
  };
}

/** The registration an endpoint would send. */
export function registrationOf(
  endpoint: TestEndpoint,
  options: TestEndpointOptions,
): Parameters<Registry['registerEndpoint']>[0] {
  return {
    name: endpoint.name,
    url: endpoint.url,
    network_service_names: [options.service],
    network_service_labels: options.labels ? { [options.service]: { labels: options.labels } } : {},
  };
}

/**
 * Keeps an endpoint registered in an in-process registry (every third of its expiry), as an endpoint's
 * registry client would; `stop()` stops without unregistering, like a crashed endpoint.
 */
export function keepRegistered(
  registry: Registry,
  registration: Parameters<Registry['registerEndpoint']>[0],
): { stop(): void } {
  registry.registerEndpoint(registration);
  const timer = setInterval(
    () => registry.registerEndpoint(registration),
    Math.max(50, registry.expiryMs / 3),
  );
  return { stop: () => clearInterval(timer) };
}

/** Registers through the NSM's registry gRPC service with the SDK's registry client (kept until close). */
export async function registerOverGrpc(
  nsmAddress: string,
  registration: Parameters<Registry['registerEndpoint']>[0],
): Promise<{ client: RegistryClient; close(): Promise<void> }> {
  const client = createRegistryClient({ address: nsmAddress, reconnect: { initialMs: 50, maxMs: 200 } });
  const kept = await client.registerEndpoint(registration);
  return {
    client,
    close: async () => {
      await kept.close().catch(() => undefined);
      client.close();
    },
  };
}

export interface TestClientOptions {
  readonly nsmAddress: string;
  /** The named namespace its interfaces go into. */
  readonly netns: string;
  readonly heal?: boolean;
  /** Lifetime of the client's token: the connection refreshes at a fraction of it. Default 10 min. */
  readonly tokenLifetimeMs?: number;
  readonly interfaceName?: string;
  /** Called with every connection the client's chain returns (first requests, refreshes, heals). */
  readonly onReturned?: (connection: Connection) => void;
}

export interface TestClient {
  readonly client: Client;
  readonly context: Context;
  request(service: string, labels?: Record<string, string>): Promise<Connection>;
  close(connection: Connection): Promise<void>;
  stop(): void;
}

export function startTestClient(options: TestClientOptions): TestClient {
  const lifetime = new AbortController();
  const channels = new GrpcChannelCache();
  const context = Context.background({ logger: testLogger() });
  const client = newClient({
    signal: lifetime.signal,
    tokenGenerator: opaqueTokenGenerator(options.tokenLifetimeMs ?? 600_000),
    connectTo: grpcConnect({ target: options.nsmAddress, channels }),
    additional: [
      {
        kind: 'client',
        name: 'observeReturned',
        request: async (ctx, request, next) => {
          const connection = await next.request(ctx, request);
          options.onReturned?.(structuredClone(connection));
          return connection;
        },
        close: (ctx, connection, next) => next.close(ctx, connection),
      },
      kernelMechanismClient({
        netns: options.netns,
        ...(options.interfaceName === undefined ? {} : { interfaceName: options.interfaceName }),
      }),
      interfaceNameClient({ prefix: 'nsc' }),
    ],
    ...(options.heal
      ? {
          heal: healClient({
            monitor: channels.monitorConnection(options.nsmAddress),
            signal: lifetime.signal,
          }),
        }
      : {}),
  });
  return {
    client,
    context,
    request: (service, labels = {}) => {
      const [ctx, cancel] = context.withTimeout(20_000);
      return client
        .request(ctx, { connection: { network_service: service, labels } })
        .finally(() => cancel());
    },
    close: (connection) => {
      const [ctx, cancel] = context.withTimeout(20_000);
      return client.close(ctx, connection).finally(() => cancel());
    },
    stop: () => {
      lifetime.abort();
      channels.close();
    },
  };
}

/** Runs a command to its end without blocking the event loop (the NSM may be in this process). */
export function run(
  command: string,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, output });
    });
  });
}

/** One ping reply within `seconds` (fresh veths take a moment to carry, IPv6 neighbours too). */
export function ping(
  netns: string,
  address: string,
  seconds = 5,
): Promise<{ status: number; output: string }> {
  return run('ip', ['netns', 'exec', netns, 'ping', '-c', '1', '-w', String(seconds), '-i', '0.2', address]);
}

/** A TCP echo exchange: a server in `serverNetns` on `address`, a client in `clientNetns` connecting to it. */
export async function tcpExchange(
  serverNetns: string,
  clientNetns: string,
  address: string,
): Promise<string> {
  const port = 5000 + Math.floor(Math.random() * 1000);
  const serverScript = `require('net').createServer(s=>s.pipe(s)).listen(${port}, '${address}', ()=>console.log('ready'))`;
  const server = spawn('ip', ['netns', 'exec', serverNetns, process.execPath, '-e', serverScript], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`the echo server exited with ${code}`)));
    });
    const clientScript =
      `const s=require('net').createConnection({host:'${address}',port:${port}},()=>s.end('hello over tcp'));` +
      `let d='';s.on('data',c=>d+=c);s.on('end',()=>console.log(d));s.on('error',e=>{console.error(e.message);process.exit(1)})`;
    const result = await run('ip', ['netns', 'exec', clientNetns, process.execPath, '-e', clientScript]);
    if (result.status !== 0) throw new Error(result.output);
    return result.output.trim();
  } finally {
    server.kill('SIGKILL');
  }
}

/** Everything a test could leave in a namespace: links, rules and routes of every table, as iproute2 shows them. */
export async function netnsState(netns: string): Promise<string> {
  const parts: string[] = [];
  for (const args of [
    ['-o', 'link', 'show'],
    ['-4', 'rule', 'show'],
    ['-6', 'rule', 'show'],
    ['-4', 'route', 'show', 'table', 'all'],
    ['-6', 'route', 'show', 'table', 'all'],
    ['-o', 'addr', 'show'],
  ]) {
    const result = await run('ip', ['-n', netns, ...args]);
    parts.push(
      `# ip ${args.join(' ')}\n${result.output.replace(/link\/ether \S+/g, '').replace(/\s+$/gm, '')}`,
    );
  }
  return parts.join('\n');
}

/** The interfaces of a namespace other than lo. */
export async function linksOf(netns: string): Promise<string[]> {
  const result = await run('ip', ['-n', netns, '-j', 'link', 'show']);
  return (JSON.parse(result.output) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== 'lo');
}

/** The global addresses of an interface. */
export async function addressesOf(netns: string, ifname: string): Promise<string[]> {
  const result = await run('ip', ['-n', netns, '-j', 'addr', 'show', 'dev', ifname]);
  const links = JSON.parse(result.output) as {
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return links
    .flatMap((l) => l.addr_info)
    .filter((a) => a.scope === 'global')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

/** The common bed: an in-process NSM, endpoint `nse-b` of service `svc` in namespace b, a client in a. */
export interface PointToPoint {
  readonly a: string;
  readonly b: string;
  readonly nsm: RunningNsm;
  readonly endpoint: TestEndpoint;
  readonly client: TestClient;
  /** Stops the client, unregisters and stops the endpoint, stops the NSM (namespaces: the sandbox's). */
  stop(): Promise<void>;
}

export async function startPointToPoint(options: {
  /** Two namespaces the caller made (and removes): the client's and the endpoint's. */
  readonly a: string;
  readonly b: string;
  readonly socketDir: string;
  readonly ipam: P2pIpamOptions;
  readonly extra?: NetworkServiceServer[];
}): Promise<PointToPoint> {
  const { a, b } = options;
  const nsm = await startNsm({ socket: join(options.socketDir, 'nsm.sock'), logger: testLogger() });
  const endpointOptions: TestEndpointOptions = {
    name: 'nse-b',
    service: 'svc',
    netns: b,
    socketDir: options.socketDir,
    ipam: options.ipam,
    ...(options.extra === undefined ? {} : { extra: options.extra }),
  };
  const endpoint = await startTestEndpoint(endpointOptions);
  const registration = await registerOverGrpc(nsm.address, registrationOf(endpoint, endpointOptions));
  const client = startTestClient({ nsmAddress: nsm.address, netns: a });
  return {
    a,
    b,
    nsm,
    endpoint,
    client,
    stop: async () => {
      client.stop();
      await registration.close();
      await endpoint.stop();
      await nsm.stop();
    },
  };
}
