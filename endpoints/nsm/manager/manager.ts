/**
 * The manager hop of the embedded NSM (upstream's nsmgr): the endpoint chain clients talk to. It keeps
 * the client's connection (path, expiry, monitor for the clients' heal), chooses the endpoint, and
 * passes the request through the forwarder hop in process.
 */
import type { Logger } from 'pino';

import { type Endpoint, newClient } from '../../../sdk/chains/index.js';
import {
  beginServer,
  connectInProcess,
  connectServer,
  DEFAULT_MAX_TOKEN_LIFETIME_MS,
  metadataServer,
  monitorServer,
  namedChainServer,
  opaqueTokenGenerator,
  timeoutServer,
  updatepathServer,
  updatetokenServer,
} from '../../../sdk/core/index.js';
import type { GrpcChannelCache } from '../../../sdk/grpc/index.js';
import type { Registry } from '../registry/index.js';
import { closeAfterRestartServer } from './close-after-restart.js';
import { EndpointWatch } from './endpoint-watch.js';
import { selectEndpointServer } from './select-endpoint.js';

export interface ManagerOptions {
  /** Its path segment name; keep it stable so a restarted NSM reuses its clients' segments. */
  readonly name: string;
  readonly forwarder: Endpoint;
  readonly registry: Registry;
  readonly channels: GrpcChannelCache;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** How long a refresh that names an unregistered endpoint waits for it; default the registry expiry. */
  readonly namedEndpointWaitMs?: number;
}

/**
 * The standard endpoint chain with one element before begin, then the manager's own:
 * updatepath → closeAfterRestart → begin → updatetoken → metadata → timeout → monitor → endpointWatch →
 * selectEndpoint → connect (client hop toward the forwarder, in process).
 */
export function newManager(options: ManagerOptions): Endpoint {
  const logger = options.logger.child({ component: 'nsm-manager' });
  const watch = new EndpointWatch({
    registry: options.registry,
    channels: options.channels,
    managerName: options.name,
    forwarderName: options.forwarder.name,
    logger,
    signal: options.signal,
  });
  const toForwarder = newClient({
    name: options.name,
    refresh: false,
    signal: options.signal,
    connectTo: connectInProcess(options.forwarder.element),
  });
  const monitor = monitorServer({ signal: options.signal });
  const element = namedChainServer(
    options.name,
    updatepathServer(options.name),
    closeAfterRestartServer({
      startedAt: Date.now(),
      tokenLifetimeMs: DEFAULT_MAX_TOKEN_LIFETIME_MS,
      logger,
    }),
    beginServer({ signal: options.signal }),
    updatetokenServer(opaqueTokenGenerator(DEFAULT_MAX_TOKEN_LIFETIME_MS)),
    metadataServer(),
    timeoutServer(),
    monitor,
    watch.element(),
    selectEndpointServer({
      registry: options.registry,
      logger,
      ...(options.namedEndpointWaitMs === undefined
        ? {}
        : { namedEndpointWaitMs: options.namedEndpointWaitMs }),
    }),
    connectServer(toForwarder.element),
  );
  return { name: options.name, element, monitor: monitor.monitor };
}
