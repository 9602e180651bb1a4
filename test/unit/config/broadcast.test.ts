import { ConfigBroadcast, Fanout } from '../../../sdk/config/broadcast.js';
import { parseMeridioConf } from '../../../sdk/config/index.js';

const config = (...vips: string[]): ReturnType<typeof parseMeridioConf> =>
  parseMeridioConf(`vips: [${vips.join(', ')}]`);
const cidrs = (vips: readonly { cidr: string }[]): string[] => vips.map((vip) => vip.cidr);

describe('ConfigBroadcast', () => {
  test('a subscriber gets the configuration in force first, then each change with its difference', async () => {
    const broadcast = new ConfigBroadcast();
    broadcast.publish(config('20.0.0.1/32'));
    const updates = broadcast.subscribe()[Symbol.asyncIterator]();
    const first = await updates.next();
    expect(first.done).toBe(false);
    expect(cidrs(first.value!.config.vips)).toEqual(['20.0.0.1/32']);
    expect(cidrs(first.value!.diff.added)).toEqual(['20.0.0.1/32']);
    const pending = updates.next();
    broadcast.publish(config('20.0.0.1/32', '2000::1/128'));
    const second = await pending;
    expect(cidrs(second.value!.diff.added)).toEqual(['2000::1/128']);
    expect(second.value!.diff.removed).toEqual([]);
    broadcast.close();
    expect((await updates.next()).done).toBe(true);
  });

  test('the same VIPs again is not published; an empty first configuration is still delivered', async () => {
    const broadcast = new ConfigBroadcast();
    expect(broadcast.publish(config())).toBe(true);
    expect(broadcast.publish(config())).toBe(false);
    const updates = broadcast.subscribe()[Symbol.asyncIterator]();
    const first = await updates.next();
    expect(first.value!.config.vips).toEqual([]);
    expect(first.value!.diff).toEqual({ added: [], removed: [] });
    expect(broadcast.publish(config('20.0.0.1/32', '2000::1/128'))).toBe(true);
    expect(broadcast.publish(config('2000:0::1/128', '20.0.0.1/32'))).toBe(false);
    expect(cidrs((await updates.next()).value!.diff.added)).toEqual(['20.0.0.1/32', '2000::1/128']);
    broadcast.close();
  });

  test('a subscriber that fell behind gets the latest configuration with the net difference', async () => {
    const broadcast = new ConfigBroadcast();
    broadcast.publish(config('20.0.0.1/32'));
    const updates = broadcast.subscribe()[Symbol.asyncIterator]();
    await updates.next();
    broadcast.publish(config('20.0.0.1/32', '20.0.0.2/32'));
    broadcast.publish(config('20.0.0.2/32', '20.0.0.3/32'));
    const caughtUp = await updates.next();
    expect(cidrs(caughtUp.value!.config.vips)).toEqual(['20.0.0.2/32', '20.0.0.3/32']);
    expect(cidrs(caughtUp.value!.diff.added)).toEqual(['20.0.0.2/32', '20.0.0.3/32']);
    expect(cidrs(caughtUp.value!.diff.removed)).toEqual(['20.0.0.1/32']);
    // Changes that cancel out before the subscriber reads are nothing to deliver.
    broadcast.publish(config('20.0.0.9/32'));
    broadcast.publish(config('20.0.0.3/32', '20.0.0.2/32'));
    const pending = updates.next();
    broadcast.publish(config('20.0.0.4/32'));
    expect(cidrs((await pending).value!.diff.added)).toEqual(['20.0.0.4/32']);
    broadcast.close();
  });

  test('aborting the signal ends the iteration', async () => {
    const broadcast = new ConfigBroadcast();
    const controller = new AbortController();
    const updates = broadcast.subscribe(controller.signal)[Symbol.asyncIterator]();
    const pending = updates.next();
    controller.abort();
    expect((await pending).done).toBe(true);
  });
});

describe('Fanout', () => {
  test('every subscriber gets every item published after it subscribed, in order', async () => {
    const fanout = new Fanout<number>();
    fanout.publish(0);
    const a = fanout.subscribe();
    const b = fanout.subscribe();
    fanout.publish(1);
    fanout.publish(2);
    fanout.close();
    const seen = async (iterator: AsyncIterableIterator<number>): Promise<number[]> => {
      const items: number[] = [];
      for await (const item of iterator) items.push(item);
      return items;
    };
    expect(await seen(a)).toEqual([1, 2]);
    expect(await seen(b)).toEqual([1, 2]);
  });

  test('a subscriber that does not read keeps only the newest items', async () => {
    const fanout = new Fanout<number>(2);
    const subscriber = fanout.subscribe();
    for (const item of [1, 2, 3, 4]) fanout.publish(item);
    expect((await subscriber.next()).value).toBe(3);
    expect((await subscriber.next()).value).toBe(4);
    const pending = subscriber.next();
    fanout.publish(5);
    expect((await pending).value).toBe(5);
    await subscriber.return!();
    fanout.publish(6);
    expect((await subscriber.next()).done).toBe(true);
  });

  test('aborting the signal ends a waiting subscriber', async () => {
    const fanout = new Fanout<number>();
    const controller = new AbortController();
    const subscriber = fanout.subscribe(controller.signal);
    const pending = subscriber.next();
    controller.abort();
    expect((await pending).done).toBe(true);
  });
});
