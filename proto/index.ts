/**
 * Loads the .proto files at run time with @grpc/proto-loader, with the options the generated types in
 * proto/gen were made for (keepCase, longs and enums as strings, defaults), so decoded messages match
 * those types exactly.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import type { ProtoGrpcType as IpamProto } from './gen/ipam.js';
import type { ProtoGrpcType as NetworkServiceProto } from './gen/networkservice.js';
import type { ProtoGrpcType as NspProto } from './gen/nsp.js';
import type { ProtoGrpcType as RegistryProto } from './gen/registry.js';

/** The proto/ folder, both from the sources (proto/index.ts) and from the build (dist/proto/index.js). */
function protoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [here, join(here, '..', '..', 'proto')]) {
    if (existsSync(join(candidate, 'nsp', 'nsp.proto'))) return candidate;
  }
  throw new Error(`cannot find the .proto files near ${here}`);
}

export const PROTO_ROOT = protoRoot();

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT, join(PROTO_ROOT, 'networkservice')],
};

function load<T>(files: string[]): T {
  const definition = protoLoader.loadSync(files, LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

let cache: { nsm?: NetworkServiceProto; registry?: RegistryProto; ipam?: IpamProto; nsp?: NspProto } = {};

/** networkservice, connection and connectioncontext (NetworkService and MonitorConnection). */
export function networkServiceApi(): NetworkServiceProto {
  return (cache.nsm ??= load<NetworkServiceProto>(['networkservice/networkservice.proto']));
}

/** registry (NetworkServiceRegistry and NetworkServiceEndpointRegistry). */
export function registryApi(): RegistryProto {
  return (cache.registry ??= load<RegistryProto>(['registry/registry.proto']));
}

/** Meridio ipam (IpamService). */
export function ipamApi(): IpamProto {
  return (cache.ipam ??= load<IpamProto>(['ipam/ipam.proto']));
}

/** Meridio nsp (NetworkServicePlateformService). */
export function nspApi(): NspProto {
  return (cache.nsp ??= load<NspProto>(['nsp/nsp.proto']));
}

/** Forgets loaded definitions (tests that check loading itself). */
export function resetProtoCache(): void {
  cache = {};
}
