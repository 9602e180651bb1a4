import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { fileConfigSource } from '../../../../sdk/config/index.js';
import { defineServer, ipContextOf } from '../../../../sdk/core/index.js';
import type { RouteInfo, RouteSpec, RuleInfo, RuleSpec } from '../../../../sdk/kernel/index.js';
import { AddressPool, ipamClient, ipamServer } from '../../../../sdk/middleware/ipam/index.js';
import { interfaceNameClient } from '../../../../sdk/middleware/interface-name/index.js';
import {
  interfaceNameOf,
  kernelMechanismClient,
  kernelMechanismServer,
} from '../../../../sdk/middleware/kernel-mechanism/index.js';
import {
  followVips,
  proxyVipRouteClient,
  type RoutingNamespace,
  targetVipRouteClient,
  VipRouting,
} from '../../../../sdk/middleware/vip-route/index.js';
import { countServer, describeElementContract, newSandbox } from '../../../../sdk/testing/index.js';
import { eventually } from '../../../integration/services/helpers.js';

/** Rules and routes kept in memory the way the kernel would keep them; `failNext` fails the next changes. */
class MemoryTables implements RoutingNamespace {
  readonly ruleSet = new Map<string, RuleSpec>();
  readonly routeSet = new Map<string, RouteSpec>();
  failNext = 0;

  private check(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the kernel refused (test)');
    }
  }

  readonly rules = {
    add: (spec: RuleSpec): Promise<boolean> => {
      this.check();
      const key = `${spec.from} ${spec.table} ${spec.priority}`;
      const added = !this.ruleSet.has(key);
      this.ruleSet.set(key, spec);
      return Promise.resolve(added);
    },
    delete: (spec: RuleSpec): Promise<boolean> => {
      this.check();
      return Promise.resolve(this.ruleSet.delete(`${spec.from} ${spec.table} ${spec.priority}`));
    },
    list: (): Promise<RuleInfo[]> =>
      Promise.resolve(
        [...this.ruleSet.values()].map((spec) => ({
          family: spec.from!.includes(':') ? 6 : 4,
          priority: spec.priority ?? 0,
          action: 'lookup',
          table: spec.table ?? 0,
          fwmark: undefined,
          fwmask: undefined,
          from: spec.from,
          to: undefined,
          iif: undefined,
          oif: undefined,
        })),
      ),
  };

  readonly routes = {
    replace: (spec: RouteSpec): Promise<void> => {
      this.check();
      this.routeSet.set(`${spec.table} ${spec.family}`, spec);
      return Promise.resolve();
    },
    delete: (spec: RouteSpec): Promise<boolean> => {
      this.check();
      return Promise.resolve(this.routeSet.delete(`${spec.table} ${spec.family}`));
    },
    list: (): Promise<RouteInfo[]> =>
      Promise.resolve(
        [...this.routeSet.values()].map(
          (spec) => ({ family: spec.family ?? 4, destination: 'default', table: spec.table }) as RouteInfo,
        ),
      ),
  };

  /** Gateways of the default route of a family, sorted. */
  gateways(family: 4 | 6): string[] {
    const route = this.routeSet.get(`4096 ${family}`);
    if (route === undefined) return [];
    const hops = route.nexthops ?? [{ gateway: route.gateway, device: route.device }];
    return hops.map((hop) => `${hop.gateway} dev ${String(hop.device)}`).sort();
  }

  ruleSources(): string[] {
    return [...this.ruleSet.values()].map((spec) => spec.from!).sort();
  }
}

const routingFor = (tables: MemoryTables): VipRouting => new VipRouting({ netns: tables });

describeElementContract('proxyVipRouteClient', () =>
  proxyVipRouteClient({ routing: routingFor(new MemoryTables()), device: 'bridge0' }),
);
describeElementContract('targetVipRouteClient', () =>
  targetVipRouteClient({ routing: routingFor(new MemoryTables()) }),
);

describe('VipRouting', () => {
  it('installs the VIP rules only while it has somewhere to send them, and removes what it made', async () => {
    const tables = new MemoryTables();
    const routing = routingFor(tables);
    await routing.setVips(['20.0.0.1/32', '2000::1/128']);
    expect(tables.ruleSources()).toEqual([]);
    await routing.setNexthops('lb-a', [{ gateway: '172.16.3.5', device: 'bridge0' }]);
    expect(tables.ruleSources()).toEqual(['20.0.0.1/32', '2000::1/128']);
    expect(tables.gateways(4)).toEqual(['172.16.3.5 dev bridge0']);
    expect(tables.gateways(6)).toEqual([]);
    await routing.setNexthops('lb-b', [
      { gateway: '172.16.3.9', device: 'bridge0' },
      { gateway: 'fd00:0:0:3::9', device: 'bridge0' },
    ]);
    expect(tables.gateways(4)).toEqual(['172.16.3.5 dev bridge0', '172.16.3.9 dev bridge0']);
    expect(tables.gateways(6)).toEqual(['fd00:0:0:3::9 dev bridge0']);
    await routing.setVips(['20.0.0.1/32', '30.0.0.0/24']);
    expect(tables.ruleSources()).toEqual(['20.0.0.1/32', '30.0.0.0/24']);
    await routing.removeNexthops('lb-a');
    expect(tables.gateways(4)).toEqual(['172.16.3.9 dev bridge0']);
    await routing.clear();
    expect(tables.ruleSources()).toEqual([]);
    expect(tables.routeSet.size).toBe(0);
  });

  it('repairs a failed change with the next one, and takes over what a killed run left', async () => {
    const tables = new MemoryTables();
    tables.ruleSet.set('40.0.0.1/32 4096 100', { from: '40.0.0.1/32', table: 4096, priority: 100 });
    const routing = routingFor(tables);
    await routing.setVips(['20.0.0.1/32']);
    expect(tables.ruleSources()).toEqual([]);
    tables.failNext = 1;
    await expect(routing.setNexthops('lb-a', [{ gateway: '172.16.3.5' }])).rejects.toThrow('refused');
    await routing.setVips(['20.0.0.1/32']);
    expect(tables.ruleSources()).toEqual(['20.0.0.1/32']);
    expect(tables.gateways(4)).toEqual(['172.16.3.5 dev undefined']);
  });

  it('refuses a VIP that is not a prefix', () => {
    const routing = routingFor(new MemoryTables());
    expect(() => routing.setVips(['20.0.0.300/32'])).toThrow(/"20.0.0.300\/32" is not an IP prefix/);
  });
});

describe('proxyVipRouteClient', () => {
  it("routes VIP traffic over every connected LB's address through the bridge, as LBs come and go", async () => {
    const tables = new MemoryTables();
    const routing = routingFor(tables);
    await routing.setVips(['20.0.0.1/32']);
    const pool = new AddressPool(['172.16.3.0/24', 'fd00:0:0:3::/64']);
    const sandbox = newSandbox();
    const lbClient = () =>
      sandbox.newClient({
        additional: [ipamClient({ pool }), proxyVipRouteClient({ routing, device: 'bridge0' })],
      });
    const first = await lbClient().request(sandbox.context(), {
      connection: { network_service: 'load-balancer' },
    });
    const secondClient = lbClient();
    const second = await secondClient.request(sandbox.context(), {
      connection: { network_service: 'load-balancer' },
    });
    const lbAddress = (c: typeof first, family: 4 | 6) =>
      ipContextOf(c)
        .dst_ip_addrs.find((a) => a.includes(':') === (family === 6))!
        .split('/')[0]!;
    expect(tables.gateways(4)).toEqual(
      [lbAddress(first, 4), lbAddress(second, 4)].map((a) => `${a} dev bridge0`).sort(),
    );
    expect(tables.gateways(6)).toHaveLength(2);
    expect(tables.ruleSources()).toEqual(['20.0.0.1/32']);
    await secondClient.close(sandbox.context(), second);
    expect(tables.gateways(4)).toEqual([`${lbAddress(first, 4)} dev bridge0`]);
    sandbox.stop();
  });

  it('closes a new connection whose routes cannot be set, and keeps a refreshed one', async () => {
    const tables = new MemoryTables();
    const routing = routingFor(tables);
    const counter = countServer();
    let lbAddress = '172.16.3.7/24';
    const setDst = defineServer('lbAddress', {
      request: (ctx, request, next) => {
        ipContextOf(request.connection!).dst_ip_addrs = [lbAddress];
        return next.request(ctx, request);
      },
    });
    const sandbox = newSandbox({
      endpoint: { additional: [counter, setDst] },
      client: { additional: [proxyVipRouteClient({ routing, device: 'bridge0' })] },
    });
    tables.failNext = 1;
    await expect(sandbox.request({ connection: { network_service: 'load-balancer' } })).rejects.toThrow(
      'refused',
    );
    expect(counter.closes).toBe(1);
    const connection = await sandbox.request({ connection: { network_service: 'load-balancer' } });
    // A refresh that changes nothing does not touch the kernel; one that moves the LB's address does.
    await sandbox.request({ connection });
    lbAddress = '172.16.3.8/24';
    tables.failNext = 1;
    await expect(sandbox.request({ connection })).rejects.toThrow('refused');
    expect(counter.closes).toBe(1);
    await sandbox.close(connection);
    expect(tables.routeSet.size).toBe(0);
    sandbox.stop();
  });
});

describe('targetVipRouteClient', () => {
  it("sends VIP traffic back via the proxy's bridge address out of the connection's interface", async () => {
    const tables = new MemoryTables();
    const routing = routingFor(tables);
    await routing.setVips(['20.0.0.1/32', '2000::1/128']);
    const pool = new AddressPool(['172.16.3.0/24', 'fd00:0:0:3::/64']);
    const sandbox = newSandbox({
      endpoint: { additional: [ipamServer({ pool }), kernelMechanismServer()] },
      client: {
        additional: [targetVipRouteClient({ routing }), kernelMechanismClient(), interfaceNameClient()],
      },
    });
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    const device = interfaceNameOf(connection.mechanism);
    expect(tables.gateways(4)).toEqual([`172.16.3.1 dev ${device}`]);
    expect(tables.gateways(6)).toEqual([`fd00:0:0:3::1 dev ${device}`]);
    expect(tables.ruleSources()).toEqual(['20.0.0.1/32', '2000::1/128']);
    await sandbox.close(connection);
    expect(tables.ruleSources()).toEqual([]);
    expect(tables.routeSet.size).toBe(0);
    sandbox.stop();
  });
});

describe('followVips', () => {
  it('applies the VIPs of the settings when there is no source', async () => {
    const applied: string[][] = [];
    await followVips({
      source: undefined,
      initial: ['20.0.0.1/32'],
      signal: new AbortController().signal,
      logger: pino({ level: 'silent' }),
      apply: (vips) => {
        applied.push([...vips]);
        return applied.length < 2 ? Promise.reject(new Error('not yet')) : Promise.resolve();
      },
      retryMs: 1,
    });
    expect(applied).toEqual([['20.0.0.1/32'], ['20.0.0.1/32']]);
  });

  it('uses the VIPs of the settings until the source has a configuration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'follow-vips-'));
    const path = join(dir, 'meridio.conf');
    const source = fileConfigSource({ path, debounceMs: 10 });
    const lifetime = new AbortController();
    const applied: string[][] = [];
    const following = followVips({
      source,
      initial: ['40.0.0.1/32'],
      signal: lifetime.signal,
      logger: pino({ level: 'silent' }),
      apply: (vips) => {
        applied.push([...vips]);
        return Promise.resolve();
      },
    });
    try {
      await eventually(() => applied.length === 1, 'the VIPs of the settings applied');
      writeFileSync(path, 'vips: [20.0.0.1/32]\n');
      await eventually(() => applied.length === 2, 'the file applied');
      expect(applied).toEqual([['40.0.0.1/32'], ['20.0.0.1/32']]);
    } finally {
      lifetime.abort();
      await following;
      await source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies each configuration the source accepts, retrying a failed apply', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'follow-vips-'));
    const path = join(dir, 'meridio.conf');
    writeFileSync(path, 'vips: [20.0.0.1/32]\n');
    const source = fileConfigSource({ path, debounceMs: 10 });
    const lifetime = new AbortController();
    const applied: string[][] = [];
    let failures = 2;
    const following = followVips({
      source,
      initial: [],
      signal: lifetime.signal,
      logger: pino({ level: 'silent' }),
      retryMs: 5,
      apply: (vips) => {
        applied.push([...vips]);
        if (failures > 0) {
          failures--;
          return Promise.reject(new Error('not now'));
        }
        return Promise.resolve();
      },
    });
    try {
      await eventually(() => applied.length === 3, 'the first configuration applied after two failures');
      expect(applied).toEqual([['20.0.0.1/32'], ['20.0.0.1/32'], ['20.0.0.1/32']]);
      writeFileSync(path, 'vips: [20.0.0.1/32, 2000::1/128]\n');
      await eventually(() => applied.length === 4, 'the change applied');
      expect(applied[3]).toEqual(['20.0.0.1/32', '2000::1/128']);
    } finally {
      lifetime.abort();
      await following;
      await source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
