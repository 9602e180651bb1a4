import type { Logger } from 'pino';

import { type Client, newClient } from '../../sdk/chains/index.js';
import { type Connection, defineClient, healClient, opaqueTokenGenerator } from '../../sdk/core/index.js';
import { type GrpcChannelCache, grpcConnect } from '../../sdk/grpc/index.js';
import { interfaceNameClient } from '../../sdk/middleware/interface-name/index.js';
import { kernelMechanismClient } from '../../sdk/middleware/kernel-mechanism/index.js';
import { loopbackVipClient, type LoopbackVips } from '../../sdk/middleware/loopback-vip/index.js';
import { nspRegisterClient } from '../../sdk/middleware/nsp-register/index.js';
import { targetVipRouteClient, type VipRouting } from '../../sdk/middleware/vip-route/index.js';
import { identifierClient } from './identifier.js';

export interface TargetChainOptions {
  readonly name: string;
  readonly netns: string | undefined;
  readonly loopback: LoopbackVips;
  readonly routing: VipRouting;
  readonly maxTargets: number;
  readonly nsm: string;
  readonly channels: GrpcChannelCache;
  readonly tokenLifetimeMs: number;
  /** Told about every connection the chain returns (first request, refreshes, heals). */
  readonly onConnection: (connection: Connection) => void;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/**
 * What the target does (its client chain toward the proxy): VIPs on lo, the VIPs' route back through the
 * proxy's bridge, an identifier the NSP accepts, a KERNEL interface in its namespace, and the proxy told
 * (by a refresh) once all that is in place, so the NSP lists the target only when it can take traffic; healed through the
 * NSM (a restarted proxy gets the connection back), refreshed, over gRPC.
 */
export function targetClient(options: TargetChainOptions): Client {
  const observe = defineClient('observeConnection', {
    request: async (ctx, request, next) => {
      const connection = await next.request(ctx, request);
      options.onConnection(connection);
      return connection;
    },
  });
  return newClient({
    name: options.name,
    signal: options.signal,
    tokenGenerator: opaqueTokenGenerator(options.tokenLifetimeMs),
    connectTo: grpcConnect({ target: options.nsm, channels: options.channels }),
    heal: healClient({ monitor: options.channels.monitorConnection(options.nsm), signal: options.signal }),
    additional: [
      observe,
      // Before the elements that make the target ready: the proxy registers it once they are done.
      nspRegisterClient(),
      loopbackVipClient({ loopback: options.loopback }),
      targetVipRouteClient({ routing: options.routing }),
      identifierClient({ maxTargets: options.maxTargets }),
      kernelMechanismClient(options.netns === undefined ? {} : { netns: options.netns }),
      interfaceNameClient({ prefix: 'nsm' }),
    ],
  });
}
