import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AlreadyExistsError, Code, InvalidArgumentError, MeridioError } from '../../../sdk/core/index.js';
import type { TargetEvent } from '../../../sdk/services/nsp/index.js';
import { SqliteTargetStore, TargetRegistry, type TargetSubscription } from '../../../endpoints/nsp/index.js';
import { FakeClock } from './fake-clock.js';

const KEEPALIVE = 60_000;

function target(n: number, identifier = String(n)): { ips: string[]; context: Record<string, string> } {
  return { ips: [`172.16.${n >> 8}.${n & 255}/24`, `fd00::${n.toString(16)}/64`], context: { identifier } };
}

/** Takes the events already queued, without waiting for more. */
async function drain(subscription: TargetSubscription, count: number): Promise<TargetEvent[]> {
  const events: TargetEvent[] = [];
  while (events.length < count) {
    const event = await subscription.next();
    if (!event) break;
    events.push(event);
  }
  return events;
}

function brief(events: readonly TargetEvent[]): string[] {
  return events.map(
    (event) => `${event.status} ${event.target.ips[0]} ${event.target.context['identifier'] ?? '-'}`,
  );
}

describe('NSP target registry', () => {
  let dir: string;
  let clock: FakeClock;
  let store: SqliteTargetStore;
  let registry: TargetRegistry;

  const open = (): TargetRegistry => {
    store = SqliteTargetStore.open(join(dir, 'nsp.db'));
    registry = new TargetRegistry({ store, clock, keepaliveMs: KEEPALIVE });
    return registry;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'meridio-nsp-unit-'));
    clock = new FakeClock();
    open();
  });

  afterEach(() => {
    registry.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, refreshes and updates; an update is announced as Unregister of the old then Register of the new', async () => {
    const subscription = registry.subscribe();
    expect(registry.register(target(1))).toBe('added');
    expect(registry.register(target(1))).toBe('refreshed');
    expect(registry.register({ ...target(1), context: { identifier: '1', node: 'worker-2' } })).toBe(
      'updated',
    );
    expect(registry.unregister(target(1))).toBe(true);
    expect(brief(await drain(subscription, 4))).toEqual([
      'Register 172.16.0.1/24 1',
      'Unregister 172.16.0.1/24 1',
      'Register 172.16.0.1/24 1',
      'Unregister 172.16.0.1/24 1',
    ]);
  });

  it('refuses an identifier held by another target, naming the holder, and stores nothing', () => {
    registry.register(target(1, '5'));
    let error: unknown;
    try {
      registry.register(target(2, '5'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as MeridioError).code).toBe(Code.ALREADY_EXISTS);
    expect((error as Error).message).toBe(
      'identifier 5 is held by target 172.16.0.1/24,fd00::1/64 (identifier 5); pick another identifier',
    );
    expect(registry.targets().map((t) => t.ips[0])).toEqual(['172.16.0.1/24']);
    registry.close();
    store.close();
    open();
    expect(registry.size).toBe(1);
  });

  it('refuses an address held by another target', () => {
    registry.register({ ips: ['172.16.0.1/24'], context: { identifier: '1' } });
    expect(() => registry.register(target(1, '2'))).toThrow(
      new AlreadyExistsError(
        'address 172.16.0.1 is held by target 172.16.0.1/24 (identifier 1); a target is identified by all its addresses, so unregister that one first',
      ),
    );
  });

  it('lets a target take a new identifier, freeing the old one', () => {
    registry.register(target(1, '5'));
    registry.register(target(1, '6'));
    expect(registry.register(target(2, '5'))).toBe('added');
  });

  it('refuses bad input with INVALID_ARGUMENT and stores nothing', () => {
    const subscription = registry.subscribe();
    expect(() => registry.register({ ips: [], context: { identifier: '1' } })).toThrow(
      new InvalidArgumentError('a target needs at least one IP address (one per family)'),
    );
    expect(() => registry.register({ ips: ['not-an-ip'], context: {} })).toThrow(InvalidArgumentError);
    expect(() => registry.unregister({ ips: ['1.2.3'], context: {} })).toThrow(InvalidArgumentError);
    expect(registry.size).toBe(0);
    subscription.close();
  });

  it('treats unregistering an unknown target as done', () => {
    expect(registry.unregister(target(9))).toBe(false);
  });

  it('expires a target not registered again within the keepalive, announcing an Unregister', async () => {
    registry.register(target(1));
    registry.register(target(2));
    const subscription = registry.subscribe();
    clock.advance(KEEPALIVE / 2);
    registry.register(target(2));
    clock.advance(KEEPALIVE / 2 - 1);
    expect(registry.size).toBe(2);
    clock.advance(1);
    expect(registry.targets().map((t) => t.ips[0])).toEqual(['172.16.0.2/24']);
    clock.advance(KEEPALIVE / 2);
    expect(registry.size).toBe(0);
    expect(brief(await drain(subscription, 4))).toEqual([
      'Register 172.16.0.1/24 1',
      'Register 172.16.0.2/24 2',
      'Unregister 172.16.0.1/24 1',
      'Unregister 172.16.0.2/24 2',
    ]);
  });

  it('keeps targets and their expiry times across a restart', () => {
    registry.register(target(1));
    clock.advance(10_000);
    registry.register(target(2));
    registry.register({ ...target(1), context: { identifier: '1', updated: 'yes' } });
    const expiries = registry
      .targets()
      .map((t) => registry.expiryOf(t.ips.map((ip) => ip.split('/')[0]).join(',')));
    registry.close();
    store.close();
    clock.advance(1000);
    open();
    expect(registry.targets()).toEqual([
      {
        key: '172.16.0.1,fd00::1',
        ips: ['172.16.0.1/24', 'fd00::1/64'],
        context: { identifier: '1', updated: 'yes' },
        identifier: '1',
      },
      {
        key: '172.16.0.2,fd00::2',
        ips: ['172.16.0.2/24', 'fd00::2/64'],
        context: { identifier: '2' },
        identifier: '2',
      },
    ]);
    expect(
      registry.targets().map((t) => registry.expiryOf(t.ips.map((ip) => ip.split('/')[0]).join(','))),
    ).toEqual(expiries);
    clock.advance(KEEPALIVE - 1000);
    expect(registry.size).toBe(0);
  });

  it('gives targets whose deadline passed while the NSP was down half a keepalive to come back', () => {
    registry.register(target(1));
    registry.register(target(2));
    registry.close();
    store.close();
    clock.advance(5 * KEEPALIVE);
    open();
    expect(registry.size).toBe(2);
    clock.advance(KEEPALIVE / 4);
    registry.register(target(2));
    clock.advance(KEEPALIVE / 4);
    expect(registry.targets().map((t) => t.ips[0])).toEqual(['172.16.0.2/24']);
  });

  it('gives a new subscriber all 1,000 targets, then every change in order, while others keep their pace', async () => {
    for (let n = 1; n <= 1000; n++) registry.register(target(n));
    const slow = registry.subscribe();
    const fresh = registry.subscribe();
    expect(fresh.snapshotSize).toBe(1000);
    registry.register(target(1001));
    registry.register({ ...target(7), context: { identifier: '7', weight: '2' } });
    registry.unregister(target(3));
    const events = await drain(fresh, 1004);
    expect(
      events
        .slice(0, 1000)
        .every(
          (event, i) => event.status === 'Register' && event.target.context['identifier'] === String(i + 1),
        ),
    ).toBe(true);
    expect(brief(events.slice(1000))).toEqual([
      'Register 172.16.3.233/24 1001',
      'Unregister 172.16.0.7/24 7',
      'Register 172.16.0.7/24 7',
      'Unregister 172.16.0.3/24 3',
    ]);
    // The slow subscriber has not read anything yet; it gets the same sequence when it does.
    expect(brief(await drain(slow, 1004))).toEqual(brief(events));
  });

  it('cuts off a subscriber that falls too far behind with RESOURCE_EXHAUSTED, and no one else', async () => {
    const small = new TargetRegistry({ store, clock, keepaliveMs: KEEPALIVE, maxQueuedEvents: 10 });
    small.register(target(1));
    const lagging = small.subscribe();
    const reading = small.subscribe();
    const read: TargetEvent[] = [];
    for (let n = 2; n <= 20; n++) {
      small.register(target(n));
      read.push(...(await drain(reading, n === 2 ? 2 : 1)));
    }
    await expect(lagging.next()).rejects.toThrow(
      'the monitor subscriber fell more than 10 events behind; reconnect to resync',
    );
    await expect(lagging.next()).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    expect(read).toHaveLength(20);
    expect(small.subscriberCount).toBe(1);
    small.close();
    expect(await reading.next()).toBeUndefined();
  });

  it('ends subscriptions and refuses changes once closed', async () => {
    const subscription = registry.subscribe();
    registry.close();
    expect(await subscription.next()).toBeUndefined();
    expect(() => registry.register(target(1))).toThrow(
      'the NSP is shutting down; try again on its successor',
    );
  });
});
