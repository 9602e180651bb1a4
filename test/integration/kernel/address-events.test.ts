import type { AddressEvent } from '../../../sdk/kernel/index.js';
import { ip, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

/** Collects events until `done` says so (or the test's own timeout fails it). */
async function collectUntil(
  events: AsyncIterator<AddressEvent>,
  done: (seen: AddressEvent[]) => boolean,
): Promise<AddressEvent[]> {
  const seen: AddressEvent[] = [];
  while (!done(seen)) {
    const next = await events.next();
    if (next.done) break;
    seen.push(next.value);
  }
  return seen;
}

const summary = (events: AddressEvent[]): string[] =>
  events.map(({ type, address }) => `${type} ${address.cidr}${address.tentative ? ' tentative' : ''}`);

/** Loopback and link-local addresses come and go with links; these tests look only at the ones they add. */
const ours = (event: AddressEvent): boolean => !/^(fe80:|127\.|::1$)/.test(event.address.address);

skipUnlessRoot('kernel address event tests')('address events', () => {
  const sandbox = useNetnsSandbox('kae');

  it('reports addresses added and removed, through the layer and by iproute2, in both families', async () => {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    await handle.links.createVeth({ name: 'ad0', peer: { name: 'ad1' } });
    const stop = new AbortController();
    const events = handle.watchAddresses({ signal: stop.signal })[Symbol.asyncIterator]();
    const first = events.next();

    await handle.addresses.add('ad0', '172.16.9.1/24');
    const added = [(await first).value as AddressEvent];
    ip(name, 'address', 'add', 'fd00:9::1/64', 'dev', 'ad0', 'nodad');
    added.push(...(await collectUntil(events, (seen) => seen.filter(ours).length >= 1)));
    expect(summary(added.filter(ours))).toEqual(['added 172.16.9.1/24', 'added fd00:9::1/64']);
    const ad0 = (await handle.links.get('ad0')).index;
    expect(added.every((event) => event.address.linkIndex === ad0)).toBe(true);

    await handle.addresses.delete('ad0', '172.16.9.1/24');
    ip(name, 'address', 'del', 'fd00:9::1/64', 'dev', 'ad0');
    const removed = await collectUntil(events, (seen) => seen.filter(ours).length >= 2);
    expect(summary(removed.filter(ours))).toEqual(['removed 172.16.9.1/24', 'removed fd00:9::1/64']);

    stop.abort();
    await expect(events.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('reports an IPv6 address that finishes duplicate address detection as changed', async () => {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    await handle.links.createVeth({ name: 'dd0', peer: { name: 'dd1' } });
    await handle.links.setUp('dd0');
    await handle.links.setUp('dd1');
    const stop = new AbortController();
    const events = handle.watchAddresses({ signal: stop.signal })[Symbol.asyncIterator]();
    const first = events.next();
    await handle.addresses.add('dd0', 'fd00:d::1/64');
    const seen = [(await first).value as AddressEvent];
    seen.push(
      ...(await collectUntil(events, (more) =>
        [...seen, ...more].some((e) => e.type === 'changed' && e.address.cidr === 'fd00:d::1/64'),
      )),
    );
    expect(summary(seen.filter(ours))).toEqual(['added fd00:d::1/64 tentative', 'changed fd00:d::1/64']);
    stop.abort();
  }, 15_000);

  it('reports the addresses that already exist first when asked, and removals when the link goes', async () => {
    const { name } = sandbox.create('a');
    const handle = sandbox.kernel.netns(name);
    await handle.links.createVeth({ name: 'ex0', peer: { name: 'ex1' } });
    await handle.addresses.add('ex0', '10.9.0.1/30');
    await handle.addresses.add('ex1', '10.9.0.2/30');
    const stop = new AbortController();
    const events = handle.watchAddresses({ signal: stop.signal, existing: true })[Symbol.asyncIterator]();
    const existing = await collectUntil(events, (seen) => seen.filter(ours).length >= 2);
    expect(summary(existing.filter(ours)).sort()).toEqual(['added 10.9.0.1/30', 'added 10.9.0.2/30']);

    await handle.links.delete('ex0');
    const gone = await collectUntil(events, (seen) => seen.filter(ours).length >= 2);
    expect(summary(gone.filter(ours)).sort()).toEqual(['removed 10.9.0.1/30', 'removed 10.9.0.2/30']);
    stop.abort();
  });
});
