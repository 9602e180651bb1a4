import type { Logger } from 'pino';

import { type Client, type Endpoint, newClient, newEndpoint } from '../../sdk/chains/index.js';
import { healClient, opaqueTokenGenerator, type ReselectFunction, State } from '../../sdk/core/index.js';
import { type GrpcChannelCache, grpcConnect } from '../../sdk/grpc/index.js';
import {
  bridgeConnectClient,
  bridgeConnectServer,
  type BridgePorts,
} from '../../sdk/middleware/bridge-connect/index.js';
import {
  interfaceMonitorClient,
  interfaceMonitorServer,
} from '../../sdk/middleware/interface-monitor/index.js';
import { interfaceNameClient, interfaceNameServer } from '../../sdk/middleware/interface-name/index.js';
import { type AddressPool, ipamClient, ipamServer } from '../../sdk/middleware/ipam/index.js';
import { kernelMechanismClient, kernelMechanismServer } from '../../sdk/middleware/kernel-mechanism/index.js';
import { nspRegisterServer } from '../../sdk/middleware/nsp-register/index.js';
import { proxyVipRouteClient, type VipRouting } from '../../sdk/middleware/vip-route/index.js';
import type { TargetRegistrar } from '../../sdk/services/nsp/index.js';
import { BRIDGE_NAME } from './bridge.js';

export interface ProxyChainsOptions {
  readonly name: string;
  /** The named namespace the proxy works in (undefined: its own). */
  readonly netns: string | undefined;
  readonly pool: AddressPool;
  readonly ports: BridgePorts;
  readonly routing: VipRouting;
  readonly registrar: TargetRegistrar;
  readonly maxTargets: number;
  readonly nsm: string;
  readonly channels: GrpcChannelCache;
  readonly tokenLifetimeMs: number;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/**
 * What the proxy does for each target that connects (its endpoint chain, after the standard elements):
 * addresses from its subnet, registration at the NSP, the KERNEL interface in the proxy's namespace,
 * named, watched, and made a port of the bridge.
 */
export function proxyEndpoint(options: ProxyChainsOptions): Endpoint {
  const interfaces = interfaceMonitorServer({ logger: options.logger, signal: options.signal });
  return newEndpoint({
    name: options.name,
    signal: options.signal,
    tokenGenerator: opaqueTokenGenerator(options.tokenLifetimeMs),
    additional: [
      ipamServer({ pool: options.pool }),
      nspRegisterServer({ registrar: options.registrar, maxIdentifier: options.maxTargets }),
      kernelMechanismServer(options.netns === undefined ? {} : { netns: options.netns }),
      interfaceNameServer({ prefix: 'prx' }),
      interfaces,
      bridgeConnectServer({
        ports: options.ports,
        interfaces: interfaces.interfaces,
        logger: options.logger,
      }),
    ],
  });
}

/** A heal keeps the connection on its LB: the full mesh, not NSM, decides which LBs the proxy uses. */
const reselectSameEndpoint: ReselectFunction = (request) => {
  const connection = request.connection;
  if (connection === null) return;
  connection.mechanism = null;
  connection.state = State.RESELECT_REQUESTED;
};

/**
 * What the proxy does for each LB it connects to (its client chain): an address from its subnet for the
 * LB's end, the VIPs' multipath route over the LBs, the KERNEL interface in the proxy's namespace,
 * named, watched and made a port of the bridge; healed through the NSM, refreshed, over gRPC.
 */
export function loadBalancerClient(options: ProxyChainsOptions): Client {
  const interfaces = interfaceMonitorClient({ logger: options.logger, signal: options.signal });
  return newClient({
    name: options.name,
    signal: options.signal,
    tokenGenerator: opaqueTokenGenerator(options.tokenLifetimeMs),
    connectTo: grpcConnect({ target: options.nsm, channels: options.channels }),
    heal: healClient({ monitor: options.channels.monitorConnection(options.nsm), signal: options.signal }),
    reselect: reselectSameEndpoint,
    additional: [
      ipamClient({ pool: options.pool }),
      proxyVipRouteClient({ routing: options.routing, device: BRIDGE_NAME }),
      kernelMechanismClient(options.netns === undefined ? {} : { netns: options.netns }),
      interfaceNameClient({ prefix: 'lb' }),
      interfaces,
      bridgeConnectClient({
        ports: options.ports,
        interfaces: interfaces.interfaces,
        logger: options.logger,
      }),
    ],
  });
}
