import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AlreadyExistsError, UnavailableError } from '../../../sdk/core/index.js';
import {
  createTargetRegistrar,
  type MonitorStream,
  type NspClient,
  type NspTarget,
} from '../../../sdk/services/nsp/index.js';
import { SqliteTargetStore, TargetRegistry } from '../../../endpoints/nsp/index.js';
import { FakeClock } from './fake-clock.js';

const KEEPALIVE = 60_000;

/** An NspClient that calls a real registry in-process, and can play an unreachable NSP. */
class InProcessNspClient implements NspClient {
  readonly address = 'in-process';
  readonly logger = undefined;
  readonly backoff = { initialMs: 1000, maxMs: 4000, jitter: 0 };
  reachable = true;
  registers = 0;

  constructor(
    readonly clock: FakeClock,
    private readonly registry: TargetRegistry,
  ) {}

  private check(): void {
    if (!this.reachable) throw new UnavailableError('connection refused');
  }

  async register(target: NspTarget): Promise<void> {
    this.check();
    this.registers++;
    this.registry.register(target);
  }

  async unregister(target: NspTarget): Promise<void> {
    this.check();
    this.registry.unregister(target);
  }

  async getTargets(): Promise<NspTarget[]> {
    this.check();
    return this.registry.targets();
  }

  monitor(): MonitorStream {
    throw new Error('the registrar does not monitor');
  }

  close(): void {}
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Advances the fake clock in steps, letting the registrar's promises run between them. */
async function advance(clock: FakeClock, ms: number, step = 1000): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle();
  }
}

describe('NSP target registrar', () => {
  let dir: string;
  let clock: FakeClock;
  let store: SqliteTargetStore;
  let registry: TargetRegistry;
  let client: InProcessNspClient;
  const target = { ips: ['172.16.0.2/24', 'fd00::2/64'], context: { identifier: '2' } };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meridio-registrar-'));
    clock = new FakeClock();
    store = SqliteTargetStore.open(join(dir, 'nsp.db'));
    registry = new TargetRegistry({ store, clock, keepaliveMs: KEEPALIVE });
    client = new InProcessNspClient(clock, registry);
  });

  afterEach(() => {
    registry.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-registers every keepalive/3, so the target outlives many keepalives', async () => {
    const registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE });
    await registrar.register(target);
    await advance(clock, 5 * KEEPALIVE);
    expect(registry.size).toBe(1);
    expect(client.registers).toBe(1 + 15);
    registrar.close();
    await advance(clock, KEEPALIVE);
    expect(registry.size).toBe(0);
  });

  it('unregisters and stops refreshing', async () => {
    const registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE });
    await registrar.register(target);
    await registrar.unregister(target);
    expect(registry.size).toBe(0);
    expect(registrar.registered()).toEqual([]);
    await advance(clock, KEEPALIVE);
    expect(client.registers).toBe(1);
    expect(registry.size).toBe(0);
  });

  it('keeps retrying while the NSP is unreachable and restores the target when it is back', async () => {
    const errors: unknown[] = [];
    const registrar = createTargetRegistrar(client, {
      keepaliveMs: KEEPALIVE,
      onRefreshError: (_target, error) => errors.push(error),
    });
    await registrar.register(target);
    client.reachable = false;
    await advance(clock, KEEPALIVE - 1000);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((error) => error instanceof UnavailableError)).toBe(true);
    registry.unregister(target);
    client.reachable = true;
    // Failed refreshes back off to at most keepalive/3 (here 4 s), so the target is back within that.
    await advance(clock, 4000);
    expect(registry.targets().map((t) => t.ips)).toEqual([target.ips]);
  });

  it('waits for an unreachable NSP on the first registration', async () => {
    client.reachable = false;
    const registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE });
    let done = false;
    const registered = registrar.register(target).then(() => (done = true));
    await advance(clock, 10_000);
    expect(done).toBe(false);
    client.reachable = true;
    await advance(clock, 5000);
    await registered;
    expect(registry.size).toBe(1);
  });

  it('passes a refusal on and forgets the target', async () => {
    registry.register({ ips: ['172.16.0.9/24'], context: { identifier: '2' } });
    const registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE });
    await expect(registrar.register(target)).rejects.toThrow(
      new AlreadyExistsError(
        'identifier 2 is held by target 172.16.0.9/24 (identifier 2); pick another identifier',
      ),
    );
    expect(registrar.registered()).toEqual([]);
  });

  it('updates the context of a target it keeps', async () => {
    const registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE });
    await registrar.register(target);
    await registrar.register({ ...target, context: { identifier: '2', weight: '5' } });
    await advance(clock, KEEPALIVE);
    expect(registry.targets()[0]?.context).toEqual({ identifier: '2', weight: '5' });
    expect(registrar.registered()).toHaveLength(1);
  });
});
