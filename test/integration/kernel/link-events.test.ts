import type { LinkEvent } from '../../../sdk/kernel/index.js';
import { ip, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

/** Collects events from an iterator until `done` says so (or the test's own timeout fails it). */
async function collectUntil(
  events: AsyncIterator<LinkEvent>,
  done: (seen: LinkEvent[]) => boolean,
): Promise<LinkEvent[]> {
  const seen: LinkEvent[] = [];
  while (!done(seen)) {
    const next = await events.next();
    if (next.done) break;
    seen.push(next.value);
  }
  return seen;
}

const summary = (events: LinkEvent[]): string[] =>
  events.map((event) => `${event.type} ${event.name} ${event.up ? 'up' : 'down'}`);

skipUnlessRoot('kernel link event tests')('link events', () => {
  const sandbox = useNetnsSandbox('kev');

  it('reports links added, changed (up, renamed) and removed, made through the layer and by iproute2', async () => {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    const stop = new AbortController();
    const events = handle.watchLinks({ signal: stop.signal })[Symbol.asyncIterator]();
    const first = events.next();

    await handle.links.createVeth({ name: 'ev0', peer: { name: 'ev1' } });
    const added = [
      (await first).value as LinkEvent,
      ...(await collectUntil(events, (seen) => seen.length >= 1)),
    ];
    expect(summary(added).sort()).toEqual(['added ev0 down', 'added ev1 down']);

    await handle.links.setUp('ev0');
    expect(
      summary(await collectUntil(events, (seen) => seen.some((e) => e.name === 'ev0' && e.up))),
    ).toContain('changed ev0 up');

    ip(name, 'link', 'set', 'ev1', 'name', 'ev9');
    const renamed = await collectUntil(events, (seen) => seen.some((e) => e.name === 'ev9'));
    expect(renamed.at(-1)).toMatchObject({
      type: 'changed',
      name: 'ev9',
      index: added.find((e) => e.name === 'ev1')?.index,
    });

    await handle.links.delete('ev0');
    const removed = await collectUntil(
      events,
      (seen) => seen.filter((e) => e.type === 'removed').length >= 2,
    );
    expect(
      removed
        .filter((e) => e.type === 'removed')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['ev0', 'ev9']);

    stop.abort();
    await expect(events.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('reports the links that already exist first when asked, and a link that moves in or out', async () => {
    const a = sandbox.create('a').name;
    const b = sandbox.create('b').name;
    const left = sandbox.kernel.netns(a);
    await left.links.createVeth({ name: 'mv0', peer: { name: 'mv1' } });
    const stop = new AbortController();
    const events = left.watchLinks({ signal: stop.signal, existing: true })[Symbol.asyncIterator]();
    const existing = await collectUntil(events, (seen) => seen.length >= 3);
    expect(summary(existing).sort()).toEqual(['added lo down', 'added mv0 down', 'added mv1 down']);

    await left.links.moveTo('mv1', b);
    expect(summary(await collectUntil(events, (seen) => seen.some((e) => e.type === 'removed')))).toContain(
      'removed mv1 down',
    );
    await sandbox.kernel.netns(b).links.moveTo('mv1', a);
    expect(summary(await collectUntil(events, (seen) => seen.some((e) => e.type === 'added')))).toContain(
      'added mv1 down',
    );
    stop.abort();
    await expect(events.next()).resolves.toMatchObject({ done: true });
  });

  it('ends at once for an already aborted signal, and when the consumer breaks out of the loop', async () => {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    const aborted = AbortSignal.abort();
    const none: LinkEvent[] = [];
    for await (const event of handle.watchLinks({ signal: aborted })) none.push(event);
    expect(none).toEqual([]);

    for await (const event of handle.watchLinks({ existing: true })) {
      expect(event).toMatchObject({ type: 'added', name: 'lo' });
      break;
    }
  });
});
