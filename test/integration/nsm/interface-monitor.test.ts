import {
  chainClient,
  Context,
  metadataClient,
  newRequest,
  runClose,
  runRequest,
  updatepathClient,
} from '../../../sdk/core/index.js';
import {
  type InterfaceEvent,
  interfaceMonitorClient,
} from '../../../sdk/middleware/interface-monitor/index.js';
import { kernelMechanism } from '../../../sdk/middleware/kernel-mechanism/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

/** Resolves with event number `count` once it has arrived (polling; fails after 5 s). */
function nextEvent(events: InterfaceEvent[], count: number): Promise<InterfaceEvent> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (events.length >= count) resolve(events[count - 1]!);
      else if (Date.now() - started > 5000) reject(new Error(`no interface event #${count} within 5 s`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

skipUnlessRoot('interface monitor kernel tests')(
  'the interface monitor reports interfaces appearing and going',
  () => {
    const sandbox = useNetnsSandbox('nsmi');

    it("tells subscribers when the connection's interface appears and goes, until the connection closes", async () => {
      const info = sandbox.create('a');
      const other = sandbox.create('b');
      const netns = sandbox.kernel.netns(info.name);
      const lifetime = new AbortController();
      const monitor = interfaceMonitorClient({ signal: lifetime.signal });
      const events: InterfaceEvent[] = [];
      const unsubscribe = monitor.interfaces.subscribe((event) => events.push(event));
      const chain = chainClient(updatepathClient('client'), metadataClient(), monitor);
      const request = newRequest({
        connection: {
          id: 'c1',
          mechanism: kernelMechanism({ inodeURL: info.inodeUrl, name: 'nsm-watched' }),
        },
      });
      try {
        const connection = await runRequest(chain, Context.background(), request);
        expect(monitor.interfaces.present(connection.id)).toBe(false);

        await netns.links.createVeth({
          name: 'nsm-watched',
          up: true,
          peer: { name: 'peer0', namespace: other.name },
        });
        const added = await nextEvent(events, 1);
        expect(added).toMatchObject({
          type: 'added',
          connectionId: connection.id,
          interfaceName: 'nsm-watched',
        });
        expect(added.netnsUrl).toBe(info.inodeUrl);
        expect(monitor.interfaces.present(connection.id)).toBe(true);

        await netns.links.rename('nsm-watched', 'renamed0');
        expect(await nextEvent(events, 2)).toMatchObject({ type: 'removed', interfaceName: 'nsm-watched' });
        await netns.links.rename('renamed0', 'nsm-watched');
        expect(await nextEvent(events, 3)).toMatchObject({ type: 'added' });
        await netns.links.delete('nsm-watched');
        expect(await nextEvent(events, 4)).toMatchObject({ type: 'removed', connectionId: connection.id });
        expect(monitor.interfaces.present(connection.id)).toBe(false);

        await runClose(chain, Context.background(), connection);
        await netns.links.createVeth({ name: 'nsm-watched', peer: { name: 'peer0', namespace: other.name } });
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(events).toHaveLength(4);
      } finally {
        unsubscribe();
        lifetime.abort();
      }
    });

    it('reports an interface that already exists when the connection is requested', async () => {
      const info = sandbox.create('a');
      const netns = sandbox.kernel.netns(info.name);
      await netns.links.createVeth({ name: 'nsm-early', peer: { name: 'peer1' } });
      const lifetime = new AbortController();
      const monitor = interfaceMonitorClient({ signal: lifetime.signal });
      const events: InterfaceEvent[] = [];
      monitor.interfaces.subscribe((event) => events.push(event));
      const chain = chainClient(updatepathClient('client'), metadataClient(), monitor);
      try {
        const connection = await runRequest(
          chain,
          Context.background(),
          newRequest({
            connection: { mechanism: kernelMechanism({ inodeURL: info.inodeUrl, name: 'nsm-early' }) },
          }),
        );
        expect(await nextEvent(events, 1)).toMatchObject({ type: 'added', connectionId: connection.id });
        await runClose(chain, Context.background(), connection);
      } finally {
        lifetime.abort();
      }
    });
  },
);
