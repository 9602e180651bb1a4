import { defineServer, PermissionDeniedError } from '../../../../sdk/core/index.js';
import type { LinkInfo } from '../../../../sdk/kernel/index.js';
import {
  type LoopbackNamespace,
  loopbackVipClient,
  LoopbackVips,
} from '../../../../sdk/middleware/loopback-vip/index.js';
import { countServer, describeElementContract, newSandbox } from '../../../../sdk/testing/index.js';

/** A loopback device kept in memory; `failNext` fails the next address changes. */
class MemoryLoopback implements LoopbackNamespace {
  up = false;
  readonly addressSet = new Set<string>();
  failNext = 0;

  readonly links = {
    find: (): Promise<LinkInfo | undefined> => Promise.resolve({ name: 'lo', up: this.up } as LinkInfo),
    setUp: (): Promise<void> => {
      this.up = true;
      return Promise.resolve();
    },
  };

  readonly addresses = {
    add: (_device: string | number, cidr: string): Promise<void> => {
      if (this.failNext > 0) {
        this.failNext--;
        return Promise.reject(new Error('the kernel refused (test)'));
      }
      this.addressSet.add(cidr);
      return Promise.resolve();
    },
    delete: (_device: string | number, cidr: string): Promise<boolean> =>
      Promise.resolve(this.addressSet.delete(cidr)),
  };

  list(): string[] {
    return [...this.addressSet].sort();
  }
}

describeElementContract('loopbackVipClient', () => {
  const loopback = new LoopbackVips({ netns: new MemoryLoopback() });
  void loopback.setVips(['20.0.0.1/32']);
  return loopbackVipClient({ loopback });
});

describe('LoopbackVips', () => {
  it('carries the VIPs while held, follows changes, and brings the device up', async () => {
    const device = new MemoryLoopback();
    const loopback = new LoopbackVips({ netns: device });
    await loopback.setVips(['20.0.0.1/32', '2000::1/128']);
    expect(device.list()).toEqual([]);
    await loopback.hold('c1');
    expect(device.up).toBe(true);
    expect(device.list()).toEqual(['20.0.0.1/32', '2000::1/128']);
    await loopback.setVips(['20.0.0.1/32', '30.0.0.0/24', '30.0.0.0/24']);
    expect(device.list()).toEqual(['20.0.0.1/32', '30.0.0.0/24']);
    await loopback.hold('c2');
    await loopback.release('c1');
    expect(device.list()).toHaveLength(2);
    await loopback.release('c2');
    expect(device.list()).toEqual([]);
    await loopback.hold('c3');
    await loopback.clear();
    expect(device.list()).toEqual([]);
  });

  it('repairs a failed change with the next one and refuses a VIP that is not a prefix', async () => {
    const device = new MemoryLoopback();
    const loopback = new LoopbackVips({ netns: device });
    await loopback.setVips(['20.0.0.1/32']);
    device.failNext = 1;
    await expect(loopback.hold('c1')).rejects.toThrow('refused');
    await loopback.setVips(['20.0.0.1/32']);
    expect(device.list()).toEqual(['20.0.0.1/32']);
    expect(() => loopback.setVips(['2000::1/129'])).toThrow(/"2000::1\/129" is not an IP prefix/);
  });
});

describe('loopbackVipClient', () => {
  it('puts the VIPs on before the Request leaves and takes them off on close', async () => {
    const device = new MemoryLoopback();
    const loopback = new LoopbackVips({ netns: device });
    await loopback.setVips(['20.0.0.1/32']);
    const seenAtEndpoint: string[][] = [];
    const sandbox = newSandbox({
      endpoint: {
        additional: [
          defineServer('seen', {
            request: (ctx, request, next) => {
              seenAtEndpoint.push(device.list());
              return next.request(ctx, request);
            },
          }),
        ],
      },
      client: { additional: [loopbackVipClient({ loopback })] },
    });
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    expect(seenAtEndpoint).toEqual([['20.0.0.1/32']]);
    await sandbox.clock.advance(5 * 60_000);
    expect(device.list()).toEqual(['20.0.0.1/32']);
    await sandbox.close(connection);
    expect(device.list()).toEqual([]);
    sandbox.stop();
  });

  it('takes the VIPs off when a new connection fails, and keeps them when a refresh fails', async () => {
    const device = new MemoryLoopback();
    const loopback = new LoopbackVips({ netns: device });
    await loopback.setVips(['20.0.0.1/32']);
    let refuse = true;
    const counter = countServer();
    const sandbox = newSandbox({
      endpoint: {
        additional: [
          counter,
          defineServer('gate', {
            request: (ctx, request, next) =>
              refuse
                ? Promise.reject(new PermissionDeniedError('refused by the test'))
                : next.request(ctx, request),
          }),
        ],
      },
      client: { additional: [loopbackVipClient({ loopback })] },
    });
    await expect(sandbox.request({ connection: { network_service: 'proxy' } })).rejects.toThrow('refused');
    expect(device.list()).toEqual([]);
    refuse = false;
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    refuse = true;
    await expect(sandbox.request({ connection })).rejects.toThrow('refused');
    expect(device.list()).toEqual(['20.0.0.1/32']);
    await sandbox.close(connection);
    expect(device.list()).toEqual([]);
    sandbox.stop();
  });
});
