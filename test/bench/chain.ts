/**
 * `npm run bench:chain`: what the chain and the gRPC adapter cost per Request, against a bare grpc-js
 * call that sends the same NetworkServiceRequest. All scenarios run in one process, interleaved round by
 * round so that drift (CPU frequency, other load) hits each equally; the median of the rounds is kept.
 * Every scenario sends the same bytes: the refresh of one connection the served endpoint established.
 * The last line printed is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import * as grpc from '@grpc/grpc-js';

import type { NetworkServiceClient as GrpcNetworkServiceClient } from '../../proto/gen/networkservice/NetworkService.js';
import { networkServiceApi } from '../../proto/index.js';
import { newEndpoint } from '../../sdk/chains/index.js';
import {
  chainServer,
  type Connection,
  Context,
  defineServer,
  msToTimestamp,
  type NetworkServiceRequest,
  newPathSegment,
  newRequest,
  runRequest,
} from '../../sdk/core/index.js';
import { GrpcChannelCache, grpcConnect, serveEndpoint, startGrpcServer } from '../../sdk/grpc/index.js';

// Many short rounds rather than a few long ones: on a shared machine the load changes within seconds,
// and a round of 100 calls (about 0.1 s) lets every scenario see nearly the same mix of quiet and busy
// moments; the median of 90 rounds then drops the busy ones. Each gRPC scenario still makes 9000 calls.
const ROUNDS = 90;
const INPROC_CALLS = 3_000;
const GRPC_CALLS = 100;
const WARMUP_GRPC_CALLS = 500;

/**
 * The first request an NSC sends after its own updatepath and updatetoken: one segment with a token and
 * expiry. Only used to establish the connection whose refresh every scenario then sends.
 */
function firstRequest(): NetworkServiceRequest {
  return newRequest({
    connection: {
      id: 'bench-nsc-0',
      network_service: 'bench',
      labels: { app: 'bench' },
      path: {
        index: 0,
        path_segments: [
          newPathSegment({
            name: 'bench-nsc',
            id: 'bench-nsc-0',
            token: 'opaque-token',
            expires: msToTimestamp(Date.now() + 3_600_000),
          }),
        ],
      },
    },
  });
}

function tenPassThrough(): ReturnType<typeof chainServer> {
  return chainServer(...Array.from({ length: 10 }, (_, i) => defineServer(`pass-${i}`)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Sample {
  /** Wall-clock microseconds per call. */
  readonly wall: number;
  /** Process CPU microseconds per call (client and server together): steadier on a busy machine. */
  readonly cpu: number;
}

async function timePerCall(calls: number, call: () => Promise<unknown>): Promise<Sample> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < calls; i++) await call();
  const wall = ((performance.now() - start) * 1000) / calls;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / calls };
}

function rawRequest(client: GrpcNetworkServiceClient, request: NetworkServiceRequest): Promise<Connection> {
  return new Promise((resolve, reject) =>
    client.Request(request, (error, connection) => (error ? reject(error) : resolve(connection!))),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meridio-bench-'));
  const api = networkServiceApi();
  const ctx = Context.background();

  // In process: the ten pass-through elements alone.
  const chain10 = tenPassThrough();

  // Bare grpc-js: a handler that returns the request's connection.
  const bare = await startGrpcServer({
    listen: `unix://${join(dir, 'bare.sock')}`,
    services: [
      {
        name: 'networkservice.NetworkService',
        definition: api.networkservice.NetworkService.service,
        implementation: {
          Request: (
            call: grpc.ServerUnaryCall<NetworkServiceRequest, Connection>,
            respond: grpc.sendUnaryData<Connection>,
          ) => respond(null, call.request.connection),
        },
      },
    ],
  });

  // The same ten elements behind the standard endpoint elements, served by sdk/grpc.
  const endpointLifetime = new AbortController();
  const endpoint = newEndpoint({
    name: 'bench-nse',
    additional: [tenPassThrough()],
    signal: endpointLifetime.signal,
  });
  const served = await serveEndpoint({
    listen: `unix://${join(dir, 'chain.sock')}`,
    chain: endpoint.element,
    monitor: endpoint.monitor,
  });

  // Informational: the ten elements served by sdk/grpc without the standard endpoint elements, which
  // splits the overhead between the adapter and the standard chain.
  const adapterOnly = await serveEndpoint({
    listen: `unix://${join(dir, 'adapter.sock')}`,
    chain: tenPassThrough(),
  });

  const credentials = grpc.credentials.createInsecure();
  const establish = new api.networkservice.NetworkService(
    `unix://${join(dir, 'chain.sock')}`,
    credentials,
  ) as GrpcNetworkServiceClient;
  // Every scenario sends the refresh of one established connection, as an NSC does every few minutes:
  // its connection as the endpoint returned it (the NSC's and the endpoint's segments), so each served
  // call finds the connection it held and the endpoint's state stays one connection all run long. Sending
  // the first request again instead made every call a new connection (the endpoint's segment gets a new
  // id) that the endpoint kept with a timer until its expiry: tens of thousands by the last round, and the
  // garbage collector's work on them landed on whichever scenario was running. The bare handler gets the
  // same bytes and answers with the same connection size as the chain.
  const request = newRequest({ connection: await rawRequest(establish, firstRequest()) });
  establish.getChannel().close();
  const bareClient = new api.networkservice.NetworkService(
    `unix://${join(dir, 'bare.sock')}`,
    credentials,
  ) as GrpcNetworkServiceClient;
  const chainClient = new api.networkservice.NetworkService(
    `unix://${join(dir, 'chain.sock')}`,
    credentials,
  ) as GrpcNetworkServiceClient;
  const adapterClient = new api.networkservice.NetworkService(
    `unix://${join(dir, 'adapter.sock')}`,
    credentials,
  ) as GrpcNetworkServiceClient;
  const channels = new GrpcChannelCache();
  const connectTail = grpcConnect({ target: `unix://${join(dir, 'chain.sock')}`, channels });

  const scenarios: Record<string, { calls: number; call: () => Promise<unknown> }> = {
    inproc_chain10_us: { calls: INPROC_CALLS, call: () => runRequest(chain10, ctx, request) },
    grpc_bare_us: { calls: GRPC_CALLS, call: () => rawRequest(bareClient, request) },
    grpc_chain10_us: { calls: GRPC_CALLS, call: () => rawRequest(chainClient, request) },
    grpc_adapter_chain10_us: { calls: GRPC_CALLS, call: () => rawRequest(adapterClient, request) },
    // Informational: the same served chain called through grpcConnect (the client-side wrapper).
    grpc_chain10_grpcconnect_us: {
      calls: GRPC_CALLS,
      call: () => runRequest(connectTail, ctx, request),
    },
  };
  const names = Object.keys(scenarios);

  for (const name of names)
    await timePerCall(name.startsWith('inproc') ? INPROC_CALLS : WARMUP_GRPC_CALLS, scenarios[name]!.call);

  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no scenario always runs first (or right after the in-process one).
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const name of order)
      samples[name]!.push(await timePerCall(scenarios[name]!.calls, scenarios[name]!.call));
  }

  bareClient.getChannel().close();
  chainClient.getChannel().close();
  adapterClient.getChannel().close();
  await adapterOnly.stop(1000);
  channels.close();
  endpointLifetime.abort();
  await served.stop(1000);
  await bare.stop(1000);
  rmSync(dir, { recursive: true, force: true });

  const medianOf = (name: string, field: keyof Sample): number =>
    Number(median(samples[name]!.map((sample) => sample[field])).toFixed(2));
  const result = Object.fromEntries(names.map((name) => [name, medianOf(name, 'wall')]));
  console.log(
    `rounds: ${ROUNDS}; calls per round: in-process ${INPROC_CALLS}, gRPC ${GRPC_CALLS}; unix sockets`,
  );
  for (const name of names) {
    const walls = samples[name]!.map((sample) => sample.wall).sort((x, y) => x - y);
    const quartile = (q: number): string => walls[Math.floor(q * (walls.length - 1))]!.toFixed(1);
    console.log(
      `${name}: median ${result[name]} µs wall, ${medianOf(name, 'cpu')} µs CPU ` +
        `(wall by round: quartiles ${quartile(0.25)} / ${quartile(0.75)}, min ${quartile(0)}, max ${quartile(1)})`,
    );
  }
  const cpuRatio = medianOf('grpc_chain10_us', 'cpu') / medianOf('grpc_bare_us', 'cpu');
  console.log(`CPU ratio chain10/bare: ${cpuRatio.toFixed(3)}`);
  // Bare and chain run next to each other in most rounds, so the ratio within a round is taken under
  // nearly the same load; its median is a check on the ratio of the medians in the JSON line.
  const pairedRatios = samples.grpc_chain10_us!.map(
    (sample, round) => sample.wall / samples.grpc_bare_us![round]!.wall,
  );
  console.log(`median of the per-round ratios chain10/bare: ${median(pairedRatios).toFixed(3)}`);
  const summary = {
    inproc_chain10_us: result.inproc_chain10_us,
    grpc_bare_us: result.grpc_bare_us,
    grpc_chain10_us: result.grpc_chain10_us,
    grpc_overhead_ratio: Number((result.grpc_chain10_us! / result.grpc_bare_us!).toFixed(3)),
  };
  console.log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
