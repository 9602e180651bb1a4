/**
 * The forwarder hop of the embedded NSM: an endpoint chain of its own (its own path segment, begin,
 * metadata, timeout, monitor) that the manager reaches in process, doing the kernel work and continuing
 * to the chosen endpoint over gRPC, as upstream's forwarder is an endpoint between nsmgr and NSE.
 */
import type { Logger } from 'pino';

import { type Endpoint, newClient, newEndpoint } from '../../../sdk/chains/index.js';
import { type Context, connectServer, NotFoundError } from '../../../sdk/core/index.js';
import { type GrpcChannelCache, grpcConnect } from '../../../sdk/grpc/index.js';
import type { Registry } from '../registry/index.js';
import { kernelForwarder } from './kernel-forwarder.js';
import { endpointUrlKey } from './metadata.js';
import type { NamespaceHandles } from './namespace-handles.js';

export interface ForwarderOptions {
  /** Its path segment name; keep it stable so a restarted forwarder reuses its segments. */
  readonly name: string;
  readonly registry: Registry;
  readonly channels: GrpcChannelCache;
  readonly namespaces: NamespaceHandles;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

function endpointTarget(ctx: Context): string {
  const url = ctx.value(endpointUrlKey);
  if (url === undefined) {
    throw new NotFoundError(
      'the forwarder does not know the endpoint of this connection: it is not registered',
    );
  }
  return url;
}

/** updatepath → begin → updatetoken → metadata → timeout → monitor → kernelForwarder → (gRPC) endpoint. */
export function newForwarder(options: ForwarderOptions): Endpoint {
  const toEndpoint = newClient({
    name: options.name,
    refresh: false,
    signal: options.signal,
    connectTo: grpcConnect({ target: endpointTarget, channels: options.channels, name: 'connectToEndpoint' }),
  });
  return newEndpoint({
    name: options.name,
    signal: options.signal,
    additional: [
      kernelForwarder({
        registry: options.registry,
        namespaces: options.namespaces,
        logger: options.logger.child({ component: 'nsm-forwarder' }),
      }),
      connectServer(toEndpoint.element),
    ],
  });
}
