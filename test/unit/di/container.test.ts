import pino from 'pino';

import { Code, type Context, systemClock } from '../../../sdk/core/index.js';
import {
  bindSingleton,
  bindValue,
  Container,
  CoreTokens,
  createProcessContainer,
  disposeContainer,
  inject,
  injectable,
  resolve,
  token,
} from '../../../sdk/di/index.js';

interface GreeterConfig {
  readonly greeting: string;
}

const GreeterConfigToken = token<GreeterConfig>('GreeterConfig');
const GreetingToken = token<string>('Greeting');

@injectable()
class Greeter {
  constructor(
    @inject(GreeterConfigToken) private readonly config: GreeterConfig,
    @inject(CoreTokens.Component) private readonly component: string,
  ) {}

  greet(name: string): string {
    return `${this.config.greeting}, ${name}, from ${this.component}`;
  }
}

function testContainer(): Container {
  return createProcessContainer({ component: 'di-test', logger: pino({ level: 'silent' }) });
}

describe('process container', () => {
  it('provides component, logger, clock and a root context built from them', async () => {
    const container = testContainer();
    const logger = resolve(container, CoreTokens.Logger);
    const root: Context = resolve(container, CoreTokens.RootContext);
    expect(resolve(container, CoreTokens.Component)).toBe('di-test');
    expect(resolve(container, CoreTokens.Clock)).toBe(systemClock);
    expect(root.logger).toBe(logger);
    expect(resolve(container, CoreTokens.RootContext)).toBe(root);
    await disposeContainer(container);
  });

  it('cancels the root context and closes the gRPC channels when disposed', async () => {
    const container = testContainer();
    const root = resolve(container, CoreTokens.RootContext);
    const channels = resolve(container, CoreTokens.GrpcChannels);
    channels.networkService('127.0.0.1:1');
    expect(channels.size).toBe(1);
    await disposeContainer(container);
    expect(root.cancelled).toBe(true);
    expect(() => channels.networkService('127.0.0.1:1')).toThrow(
      expect.objectContaining({ code: Code.FAILED_PRECONDITION }),
    );
  });

  it('builds a singleton once from its dependencies and disposes it', async () => {
    const container = testContainer();
    bindValue(container, GreeterConfigToken, { greeting: 'hello' });
    const built: string[] = [];
    const disposed: string[] = [];
    bindSingleton(
      container,
      GreetingToken,
      (get) => {
        const value = `${get(GreeterConfigToken).greeting} ${get(CoreTokens.Component)}`;
        built.push(value);
        return value;
      },
      (value) => {
        disposed.push(value);
      },
    );
    expect(resolve(container, GreetingToken)).toBe('hello di-test');
    expect(resolve(container, GreetingToken)).toBe('hello di-test');
    expect(built).toEqual(['hello di-test']);
    await disposeContainer(container);
    expect(disposed).toEqual(['hello di-test']);
  });

  it('injects tokens into decorated classes', async () => {
    const container = testContainer();
    bindValue(container, GreeterConfigToken, { greeting: 'hej' });
    container.bind(Greeter).toSelf();
    expect(container.get(Greeter).greet('Ada')).toBe('hej, Ada, from di-test');
    await disposeContainer(container);
  });
});
