import { Code, InvalidArgumentError, msToTimestamp, timestampToMs } from '../../../sdk/core/index.js';
import { DEFAULTS } from '../../../sdk/defaults.js';
import type { NetworkServiceEndpoint, RegistryEvent } from '../../../sdk/registry/index.js';
import { createRegistry, type Registry } from '../../../endpoints/nsm/registry/index.js';
import { FakeClock } from '../../../sdk/testing/index.js';

const EXPIRY = 10_000;

function endpoint(
  name: string,
  extra: Partial<NetworkServiceEndpoint> = {},
): Partial<NetworkServiceEndpoint> {
  return { name, network_service_names: ['proxy'], url: `unix:///run/${name}.sock`, ...extra };
}

/** Collects a watch's snapshot and events as short strings: `+name` for a change, `-name` for a deletion. */
function record(registry: Registry, query: Partial<NetworkServiceEndpoint> = {}) {
  const log: string[] = [];
  let closed = false;
  const subscription = registry.watchEndpoints(query, {
    onEvent: (event: RegistryEvent<NetworkServiceEndpoint>) =>
      log.push(`${event.deleted ? '-' : '+'}${event.item.name}`),
    onClose: () => {
      closed = true;
    },
  });
  return {
    log,
    snapshot: subscription.snapshot.map((e) => e.name),
    cancel: subscription.cancel,
    closed: () => closed,
  };
}

describe('registry domain', () => {
  let clock: FakeClock;
  let registry: Registry;

  beforeEach(() => {
    clock = new FakeClock();
    registry = createRegistry({ clock, expiryMs: EXPIRY });
  });
  afterEach(() => registry.close());

  describe('register', () => {
    it('sets the expiration to now + expiry when absent or later, and keeps an earlier one', () => {
      const now = clock.now();
      expect(timestampToMs(registry.registerEndpoint(endpoint('a')).expiration_time)).toBe(now + EXPIRY);
      const late = registry.registerEndpoint(
        endpoint('b', { expiration_time: msToTimestamp(now + 10 * EXPIRY) }),
      );
      expect(timestampToMs(late.expiration_time)).toBe(now + EXPIRY);
      const early = registry.registerEndpoint(endpoint('c', { expiration_time: msToTimestamp(now + 1000) }));
      expect(timestampToMs(early.expiration_time)).toBe(now + 1000);
    });

    it('keeps the initial registration time across re-registrations', async () => {
      const first = registry.registerEndpoint(endpoint('a'));
      await clock.advance(3000);
      const again = registry.registerEndpoint(endpoint('a', { url: 'unix:///run/moved.sock' }));
      expect(again.initial_registration_time).toEqual(first.initial_registration_time);
      expect(timestampToMs(again.expiration_time)).toBe(clock.now() + EXPIRY);
      expect(registry.endpoint('a')?.url).toBe('unix:///run/moved.sock');
    });

    it('uses DEFAULTS.registryExpiryMs when no expiry is configured', () => {
      const defaulted = createRegistry({ clock });
      expect(defaulted.expiryMs).toBe(DEFAULTS.registryExpiryMs);
      expect(timestampToMs(defaulted.registerEndpoint(endpoint('a')).expiration_time)).toBe(
        clock.now() + DEFAULTS.registryExpiryMs,
      );
      defaulted.close();
    });

    it.each([
      ['no name', endpoint(''), /must have a name/],
      ['no url', endpoint('a', { url: '' }), /"a" has no url/],
      ['no service', endpoint('a', { network_service_names: [] }), /"a" serves no network service/],
      ['an empty service name', endpoint('a', { network_service_names: ['proxy', ''] }), /empty entry/],
      [
        'a past expiration',
        endpoint('a', { expiration_time: msToTimestamp(Date.UTC(2020, 0, 1)) }),
        /not in the future/,
      ],
    ])('refuses an endpoint with %s with INVALID_ARGUMENT and a sentence', (_case, bad, message) => {
      const attempt = () => registry.registerEndpoint(bad);
      expect(attempt).toThrow(InvalidArgumentError);
      expect(attempt).toThrow(message);
      expect(registry.findEndpoints()).toEqual([]);
    });

    it('refuses a service without a name and a bad expiry setting', () => {
      expect(() => registry.registerService({ name: '' })).toThrow(/network service must have a name/);
      let error: unknown;
      try {
        createRegistry({ expiryMs: 0 });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).code).toBe(Code.INVALID_ARGUMENT);
    });
  });

  describe('expiry', () => {
    it('removes an endpoint that does not register again, and reports it as expired', async () => {
      const removed: string[] = [];
      registry.onEndpointRemoved((e, reason) => removed.push(`${e.name}:${reason}`));
      registry.registerEndpoint(endpoint('a'));
      registry.registerEndpoint(endpoint('b'));
      await clock.advance(EXPIRY - 1);
      registry.registerEndpoint(endpoint('b'));
      registry.unregisterEndpoint('b');
      await clock.advance(1);
      expect(registry.findEndpoints()).toEqual([]);
      expect(removed).toEqual(['b:unregistered', 'a:expired']);
      expect(clock.pendingTimers).toBe(0);
    });

    it('keeps an endpoint that registers again before it expires', async () => {
      registry.registerEndpoint(endpoint('a'));
      for (let i = 0; i < 5; i++) {
        await clock.advance(EXPIRY / 2);
        registry.registerEndpoint(endpoint('a'));
      }
      expect(registry.findEndpoints().map((e) => e.name)).toEqual(['a']);
      await clock.advance(EXPIRY);
      expect(registry.findEndpoints()).toEqual([]);
    });

    it('expires at a requested earlier expiration time', async () => {
      registry.registerEndpoint(endpoint('a', { expiration_time: msToTimestamp(clock.now() + 1000) }));
      await clock.advance(999);
      expect(registry.endpoint('a')).toBeDefined();
      await clock.advance(1);
      expect(registry.endpoint('a')).toBeUndefined();
    });
  });

  describe('watch', () => {
    it('gives the snapshot, then every change in order, with deletions for unregister and expiry', async () => {
      registry.registerEndpoint(endpoint('a'));
      const watch = record(registry);
      expect(watch.snapshot).toEqual(['a']);
      await clock.advance(1000);
      registry.registerEndpoint(endpoint('b'));
      registry.registerEndpoint(endpoint('a'));
      registry.unregisterEndpoint('b');
      registry.unregisterEndpoint('b');
      await clock.advance(EXPIRY);
      expect(watch.log).toEqual(['+b', '+a', '-b', '-a']);
    });

    it('filters by the query, reporting an endpoint that stops matching as deleted', () => {
      const watch = record(registry, { network_service_labels: { proxy: { labels: { nodeName: 'n1' } } } });
      const labelled = (node: string) => ({ proxy: { labels: { nodeName: node } } });
      registry.registerEndpoint(endpoint('a', { network_service_labels: labelled('n1') }));
      registry.registerEndpoint(endpoint('b', { network_service_labels: labelled('n2') }));
      registry.registerEndpoint(endpoint('a', { network_service_labels: labelled('n2') }));
      registry.registerEndpoint(endpoint('b', { network_service_labels: labelled('n1') }));
      registry.unregisterEndpoint('a');
      expect(watch.log).toEqual(['+a', '-a', '+b']);
    });

    it('keeps one order for every watcher when a watcher changes the registry from its callback', () => {
      const first: string[] = [];
      registry.watchEndpoints(
        {},
        {
          onEvent: (event) => {
            first.push(`${event.deleted ? '-' : '+'}${event.item.name}`);
            if (!event.deleted && event.item.name === 'a') registry.unregisterEndpoint('a');
          },
        },
      );
      const second = record(registry);
      registry.registerEndpoint(endpoint('a'));
      registry.registerEndpoint(endpoint('b'));
      expect(first).toEqual(['+a', '-a', '+b']);
      expect(second.log).toEqual(first);
    });

    it('stops after cancel, and ends every watch when the registry closes', () => {
      const cancelled = record(registry);
      const open = record(registry);
      cancelled.cancel();
      registry.registerEndpoint(endpoint('a'));
      expect(cancelled.log).toEqual([]);
      expect(open.log).toEqual(['+a']);
      registry.close();
      expect(open.closed()).toBe(true);
      expect(cancelled.closed()).toBe(false);
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('network services', () => {
    it('stores by name, finds by query, watches and unregisters', () => {
      const events: string[] = [];
      registry.watchServices(
        { name: 'proxy' },
        { onEvent: (e) => events.push(`${e.deleted ? '-' : '+'}${e.item.payload}`) },
      );
      registry.registerService({ name: 'proxy', payload: 'ETHERNET' });
      registry.registerService({ name: 'load-balancer', payload: 'ETHERNET' });
      registry.registerService({ name: 'proxy', payload: 'IP' });
      expect(registry.findServices({ payload: 'ETHERNET' }).map((s) => s.name)).toEqual(['load-balancer']);
      expect(registry.unregisterService('proxy')?.payload).toBe('IP');
      expect(registry.unregisterService('proxy')).toBeUndefined();
      expect(events).toEqual(['+ETHERNET', '+IP', '-IP']);
    });
  });

  describe('selectEndpoints', () => {
    beforeEach(() => {
      for (const [name, node] of [
        ['p1', 'n1'],
        ['p2', 'n2'],
      ]) {
        registry.registerEndpoint(
          endpoint(name, { network_service_labels: { proxy: { labels: { nodeName: node } } } }),
        );
      }
      registry.registerEndpoint(endpoint('lb', { network_service_names: ['load-balancer'] }));
    });

    it('gives any endpoint of the service when the service is unknown or has no matches', () => {
      expect(registry.selectEndpoints('proxy', { nodeName: 'n2' }).map((e) => e.name)).toEqual(['p1', 'p2']);
      registry.registerService({ name: 'proxy' });
      expect(registry.selectEndpoints('proxy', {}).map((e) => e.name)).toEqual(['p1', 'p2']);
      expect(registry.selectEndpoints('nothing', {})).toEqual([]);
    });

    it("follows the service's matches: a client of node n2 never gets an endpoint of n1", async () => {
      registry.registerService({
        name: 'proxy',
        matches: [
          {
            source_selector: { nodeName: '{{.nodeName}}' },
            routes: [{ destination_selector: { nodeName: '{{.nodeName}}' } }],
          },
        ],
      });
      expect(registry.selectEndpoints('proxy', { nodeName: 'n2' }).map((e) => e.name)).toEqual(['p2']);
      expect(registry.selectEndpoints('proxy', { nodeName: 'n1' }).map((e) => e.name)).toEqual(['p1']);
      expect(registry.selectEndpoints('proxy', { nodeName: 'n3' })).toEqual([]);
      await clock.advance(EXPIRY);
      expect(registry.selectEndpoints('proxy', { nodeName: 'n2' })).toEqual([]);
    });
  });
});
