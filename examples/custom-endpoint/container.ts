import type { Logger } from 'pino';

import { type Client, newClient } from '../../sdk/chains/index.js';
import { type Clock, Context } from '../../sdk/core/index.js';
import {
  bindSingleton,
  bindValue,
  type Container,
  CoreTokens,
  createProcessContainer,
  inject,
  injectable,
  token,
} from '../../sdk/di/index.js';
import { grpcConnect, type RunningGrpcServer, serveEndpoint } from '../../sdk/grpc/index.js';
import type { CustomEndpointConfig } from './config.js';
import { buildCustomEndpoint, type CustomEndpoint } from './endpoint.js';

export const ExampleTokens = Object.freeze({
  Config: token<CustomEndpointConfig>('CustomEndpointConfig'),
  Endpoint: token<CustomEndpoint>('CustomEndpoint'),
  Server: token<EndpointServer>('EndpointServer'),
  Client: token<Client>('CustomEndpointClient'),
});

/** Serves the endpoint chain over gRPC for as long as the container lives. */
@injectable()
export class EndpointServer {
  private running: RunningGrpcServer | undefined;

  constructor(
    @inject(ExampleTokens.Config) private readonly config: CustomEndpointConfig,
    @inject(ExampleTokens.Endpoint) private readonly parts: CustomEndpoint,
    @inject(CoreTokens.RootContext) private readonly root: Context,
    @inject(CoreTokens.Logger) private readonly logger: Logger,
  ) {}

  async start(): Promise<RunningGrpcServer> {
    this.running ??= await serveEndpoint({
      listen: this.config.listen,
      chain: this.parts.endpoint.element,
      monitor: this.parts.endpoint.monitor,
      context: this.root,
      logger: this.logger,
    });
    return this.running;
  }

  async stop(): Promise<void> {
    await this.running?.stop(1000);
    this.running = undefined;
  }
}

export interface ContainerOverrides {
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** The endpoint process: config, the chain built from it, and the gRPC server (stopped on dispose). */
export function createEndpointContainer(
  config: CustomEndpointConfig,
  overrides: ContainerOverrides = {},
): Container {
  const container = createProcessContainer({
    component: config.name,
    logLevel: config.logLevel,
    ...overrides,
  });
  bindValue(container, ExampleTokens.Config, config);
  bindSingleton(container, ExampleTokens.Endpoint, (get) =>
    buildCustomEndpoint(get(ExampleTokens.Config), get(CoreTokens.RootContext).signal),
  );
  container
    .bind<EndpointServer>(ExampleTokens.Server)
    .to(EndpointServer)
    .inSingletonScope()
    .onDeactivation((server) => server.stop());
  return container;
}

/** The client process: the standard client chain ending in a gRPC call to the endpoint. */
export function createClientContainer(
  config: {
    readonly name: string;
    readonly target: string;
    readonly logLevel: CustomEndpointConfig['logLevel'];
  },
  overrides: ContainerOverrides = {},
): Container {
  const container = createProcessContainer({
    component: config.name,
    logLevel: config.logLevel,
    ...overrides,
  });
  bindSingleton(container, ExampleTokens.Client, (get) =>
    newClient({
      name: config.name,
      connectTo: grpcConnect({ target: config.target, channels: get(CoreTokens.GrpcChannels) }),
      signal: get(CoreTokens.RootContext).signal,
    }),
  );
  return container;
}
