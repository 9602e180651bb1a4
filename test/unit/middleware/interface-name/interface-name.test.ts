import {
  chainClient,
  chainServer,
  Context,
  metadataClient,
  metadataServer,
  msToTimestamp,
  newPathSegment,
  newRequest,
  runClose,
  runRequest,
  updatepathClient,
  updatepathServer,
} from '../../../../sdk/core/index.js';
import {
  InterfaceNames,
  interfaceNameClient,
  interfaceNameServer,
} from '../../../../sdk/middleware/interface-name/index.js';
import { interfaceNameOf, kernelMechanism } from '../../../../sdk/middleware/kernel-mechanism/index.js';
import { describeElementContract, FakeClock, injectErrorServer } from '../../../../sdk/testing/index.js';

const NAME = /^[a-z0-9]{1,7}-[a-z0-9]+$/;

describeElementContract('interfaceNameServer', () => interfaceNameServer(), {
  sampleRequest: (id, clock: FakeClock) => ({
    connection: {
      id,
      network_service: 'contract-service',
      mechanism: kernelMechanism({ inodeURL: 'inode://1/2' }),
      path: {
        index: 0,
        path_segments: [
          newPathSegment({ name: 'c', id, token: 't', expires: msToTimestamp(clock.now() + 600_000) }),
        ],
      },
    },
  }),
});
describeElementContract('interfaceNameClient', () => interfaceNameClient(), {
  sampleRequest: (id) => ({
    connection: { id, network_service: 'contract-service' },
    mechanism_preferences: [kernelMechanism({ inodeURL: 'inode://1/2' })],
  }),
});

describe('InterfaceNames', () => {
  it('hands out names of exactly 15 characters, unique per namespace while in use', () => {
    const names = new InterfaceNames();
    const given = new Set<string>();
    for (let i = 0; i < 2000; i++) given.add(names.allocate('inode://1/2', 'nsm'));
    expect(given.size).toBe(2000);
    for (const name of given) expect(name).toMatch(/^nsm-[a-z0-9]{11}$/);
    expect(names.count('inode://1/2')).toBe(2000);
    for (const name of given) names.release('inode://1/2', name);
    expect(names.count('inode://1/2')).toBe(0);
  });

  it('refuses a prefix that would not leave room for the random part', () => {
    expect(() => interfaceNameServer({ prefix: 'toolongprefix' })).toThrow(
      'the interface name prefix "toolongprefix" must be 1 to 7 letters or digits, starting with a letter',
    );
  });
});

describe('interfaceNameServer', () => {
  const chain = (names: InterfaceNames, fail = false) =>
    chainServer(
      updatepathServer('endpoint'),
      metadataServer(),
      interfaceNameServer({ names, prefix: 'nse' }),
      ...(fail ? [injectErrorServer()] : []),
    );

  it('names an unnamed KERNEL mechanism, keeps the name on refresh and frees it on close', async () => {
    const names = new InterfaceNames();
    const endpoint = chain(names);
    const request = newRequest({ connection: { mechanism: kernelMechanism({ inodeURL: 'inode://1/2' }) } });
    const first = await runRequest(endpoint, Context.background(), request);
    const name = interfaceNameOf(first.mechanism);
    expect(name).toMatch(NAME);
    expect(name).toHaveLength(15);
    const refreshRequest = newRequest({
      connection: { ...first, mechanism: kernelMechanism({ inodeURL: 'inode://1/2' }) },
    });
    const refreshed = await runRequest(endpoint, Context.background(), refreshRequest);
    expect(interfaceNameOf(refreshed.mechanism)).toBe(name);
    expect(names.count('inode://1/2')).toBe(1);
    await runClose(endpoint, Context.background(), refreshed);
    expect(names.count('inode://1/2')).toBe(0);
  });

  it('leaves a name the mechanism already has, and frees a new name when next fails', async () => {
    const names = new InterfaceNames();
    const named = await runRequest(
      chain(names),
      Context.background(),
      newRequest({ connection: { mechanism: kernelMechanism({ inodeURL: 'inode://1/2', name: 'given0' }) } }),
    );
    expect(interfaceNameOf(named.mechanism)).toBe('given0');
    expect(names.count('inode://1/2')).toBe(0);
    await expect(
      runRequest(
        chain(names, true),
        Context.background(),
        newRequest({ connection: { mechanism: kernelMechanism({ inodeURL: 'inode://1/2' }) } }),
      ),
    ).rejects.toThrow();
    expect(names.count('inode://1/2')).toBe(0);
  });
});

describe('interfaceNameClient', () => {
  it('names the KERNEL preference, per namespace', async () => {
    const names = new InterfaceNames();
    const client = chainClient(updatepathClient('client'), metadataClient(), interfaceNameClient({ names }));
    const requestIn = (netns: string) =>
      newRequest({ mechanism_preferences: [kernelMechanism({ inodeURL: netns })] });
    const first = requestIn('inode://1/2');
    await runRequest(client, Context.background(), first);
    const second = requestIn('inode://1/3');
    await runRequest(client, Context.background(), second);
    expect(interfaceNameOf(first.mechanism_preferences[0])).toMatch(/^nsm-/);
    expect(names.count('inode://1/2')).toBe(1);
    expect(names.count('inode://1/3')).toBe(1);
  });
});
