// Decorator metadata (`@injectable`, `@inject`) needs the Reflect polyfill before any class is declared.
import 'reflect-metadata';

import { Container } from 'inversify';
import type { LevelWithSilent, Logger } from 'pino';

import { type CancelFunction, type Clock, Context, systemClock } from '../core/index.js';
import { GrpcChannelCache, type GrpcChannelOptions } from '../grpc/index.js';
import { createLogger } from '../log/index.js';
import { CoreTokens, type Token } from './tokens.js';

/** Resolves a token inside a factory. */
export type Resolve = <T>(token: Token<T>) => T;

export interface ProcessContainerOptions {
  readonly component: string;
  readonly logLevel?: LevelWithSilent;
  /** Replaces the JSON stdout logger (tests pass a silent or capturing one). */
  readonly logger?: Logger;
  /** Replaces the system clock (tests pass a fake clock). */
  readonly clock?: Clock;
  readonly grpc?: GrpcChannelOptions;
}

/**
 * A container with what every process shares: component name, logger, clock, root context and gRPC
 * channels, all singletons. Processes add their config and chains with `bindValue`/`bindSingleton`,
 * and stop with `disposeContainer`, which cancels the root context and closes the channels.
 */
export function createProcessContainer(options: ProcessContainerOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  bindValue(container, CoreTokens.Component, options.component);
  bindValue(
    container,
    CoreTokens.Logger,
    options.logger ?? createLogger(options.component, options.logLevel),
  );
  bindValue(container, CoreTokens.Clock, options.clock ?? systemClock);
  let cancelRoot: CancelFunction | undefined;
  bindSingleton(
    container,
    CoreTokens.RootContext,
    (get) => {
      const [ctx, cancel] = Context.background({
        logger: get(CoreTokens.Logger),
        clock: get(CoreTokens.Clock),
      }).withCancel();
      cancelRoot = cancel;
      return ctx;
    },
    () => cancelRoot?.(),
  );
  bindSingleton(
    container,
    CoreTokens.GrpcChannels,
    () => new GrpcChannelCache(options.grpc),
    (channels) => channels.close(),
  );
  return container;
}

/** Binds a ready value (a validated config, a constant). */
export function bindValue<T>(container: Container, token: Token<T>, value: T): void {
  container.bind<T>(token).toConstantValue(value);
}

/**
 * Binds a value built on first use from other bindings (a chain from config and logger), once per
 * container; `dispose` runs when the container is disposed.
 */
export function bindSingleton<T>(
  container: Container,
  token: Token<T>,
  build: (get: Resolve) => T,
  dispose?: (value: T) => void | Promise<void>,
): void {
  const binding = container
    .bind<T>(token)
    .toDynamicValue((context) => build((dependency) => context.get(dependency)))
    .inSingletonScope();
  if (dispose) binding.onDeactivation(dispose);
}

export function resolve<T>(container: Container, token: Token<T>): T {
  return container.get<T>(token);
}

/** Runs every disposer (in no guaranteed order) and empties the container. */
export async function disposeContainer(container: Container): Promise<void> {
  await container.unbindAllAsync();
}
