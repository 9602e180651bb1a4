import {
  chainClient,
  chainServer,
  Code,
  codeOf,
  Context,
  metadataClient,
  msToTimestamp,
  newPathSegment,
  newRequest,
  runRequest,
  updatepathClient,
} from '../../../../sdk/core/index.js';
import { currentNamespaceId, inodeUrlOf } from '../../../../sdk/kernel/index.js';
import {
  checkKernelMechanism,
  kernelMechanism,
  kernelMechanismClient,
  kernelMechanismServer,
  parseNetnsUrl,
  selectKernelMechanism,
} from '../../../../sdk/middleware/kernel-mechanism/index.js';
import { checkRequestClient, describeElementContract, FakeClock } from '../../../../sdk/testing/index.js';

const ownNetns = (): string => inodeUrlOf(currentNamespaceId());

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describeElementContract('kernelMechanismClient', () => kernelMechanismClient());
describeElementContract('kernelMechanismServer', () => kernelMechanismServer(), {
  sampleRequest: (id, clock: FakeClock) => ({
    connection: {
      id,
      network_service: 'contract-service',
      path: {
        index: 0,
        path_segments: [
          newPathSegment({ name: 'c', id, token: 't', expires: msToTimestamp(clock.now() + 600_000) }),
        ],
      },
    },
    mechanism_preferences: [kernelMechanism()],
  }),
});

describe('kernelMechanismClient', () => {
  it("offers KERNEL first, with the thread's namespace as an inode URL and the given interface name", async () => {
    let offered: ReturnType<typeof newRequest>['mechanism_preferences'] = [];
    const chain = chainClient(
      updatepathClient('client'),
      metadataClient(),
      kernelMechanismClient({ interfaceName: 'nsm0' }),
      checkRequestClient((request) => {
        offered = request.mechanism_preferences;
      }),
    );
    await runRequest(
      chain,
      Context.background(),
      newRequest({ mechanism_preferences: [{ cls: 'LOCAL', type: 'MEMIF', parameters: {} }] }),
    );
    expect(offered.map((m) => m.type)).toEqual(['KERNEL', 'MEMIF']);
    expect(offered[0]).toEqual({
      cls: 'LOCAL',
      type: 'KERNEL',
      parameters: { inodeURL: ownNetns(), name: 'nsm0' },
    });
  });

  it('keeps the name of the mechanism a refreshed connection holds', async () => {
    let offered: ReturnType<typeof newRequest>['mechanism_preferences'] = [];
    const chain = chainClient(
      kernelMechanismClient(),
      checkRequestClient((request) => {
        offered = request.mechanism_preferences;
      }),
    );
    const request = newRequest({
      connection: { id: 'c1', mechanism: kernelMechanism({ inodeURL: 'inode://1/2', name: 'nsm7' }) },
    });
    const connection = await runRequest(chain, Context.background(), request);
    expect(offered[0]!.parameters).toEqual({ inodeURL: ownNetns(), name: 'nsm7' });
    expect(connection.mechanism!.parameters.inodeURL).toBe(ownNetns());
  });

  it('refuses an interface name longer than 15 characters when it is built', () => {
    expect(() => kernelMechanismClient({ interfaceName: 'sixteen-chars-xx' })).toThrow(
      'the client interface name "sixteen-chars-xx" is 16 characters long; Linux allows at most 15',
    );
  });

  it('fails with NOT_FOUND when the named namespace does not exist', async () => {
    const error = await rejectionOf(
      runRequest(kernelMechanismClient({ netns: 'no-such-netns-here' }), Context.background(), newRequest()),
    );
    expect(codeOf(error)).toBe(Code.NOT_FOUND);
  });
});

describe('kernelMechanismServer', () => {
  it("selects the KERNEL preference and names the endpoint's namespace, keeping the interface name", async () => {
    const request = newRequest({
      connection: { id: 'c1' },
      mechanism_preferences: [
        { cls: 'LOCAL', type: 'MEMIF', parameters: {} },
        kernelMechanism({ inodeURL: 'inode://9/9', name: 'nse0' }),
      ],
    });
    const connection = await runRequest(chainServer(kernelMechanismServer()), Context.background(), request);
    expect(connection.mechanism).toEqual({
      cls: 'LOCAL',
      type: 'KERNEL',
      parameters: { inodeURL: ownNetns(), name: 'nse0' },
    });
  });

  it('refuses a request without a KERNEL preference, and a connection on another mechanism', async () => {
    const none = await rejectionOf(
      runRequest(
        kernelMechanismServer(),
        Context.background(),
        newRequest({ mechanism_preferences: [{ cls: 'LOCAL', type: 'MEMIF', parameters: {} }] }),
      ),
    );
    expect(codeOf(none)).toBe(Code.INVALID_ARGUMENT);
    const other = await rejectionOf(
      runRequest(
        kernelMechanismServer(),
        Context.background(),
        newRequest({ connection: { mechanism: { cls: 'REMOTE', type: 'VXLAN', parameters: {} } } }),
      ),
    );
    expect(codeOf(other)).toBe(Code.INVALID_ARGUMENT);
    expect(String(other)).toContain('the connection uses the VXLAN mechanism');
  });

  it('refuses an interface name longer than 15 characters', async () => {
    const error = await rejectionOf(
      runRequest(
        kernelMechanismServer(),
        Context.background(),
        newRequest({ mechanism_preferences: [kernelMechanism({ name: 'a-name-far-too-long' })] }),
      ),
    );
    expect(codeOf(error)).toBe(Code.INVALID_ARGUMENT);
  });
});

describe('namespace URLs and mechanism checks', () => {
  it('parses inode and file URLs', () => {
    expect(parseNetnsUrl('inode://4/4026532000')).toEqual({
      kind: 'inode',
      url: 'inode://4/4026532000',
      id: { dev: 4, ino: 4026532000 },
    });
    expect(parseNetnsUrl('file:///run/netns/pod-a')).toEqual({
      kind: 'file',
      url: 'file:///run/netns/pod-a',
      path: '/run/netns/pod-a',
    });
  });

  it.each([
    ['', 'has no inodeURL'],
    ['file:///proc/self/ns/net', 'would resolve it to its own namespace'],
    ['file:///proc/thread-self/ns/net', 'would resolve it to its own namespace'],
    ['file://relative/path', 'absolute path'],
    ['inode://x/1', 'neither inode'],
    ['http://example.com', 'neither inode'],
  ])('refuses %j', (url, message) => {
    let error: unknown;
    try {
      parseNetnsUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(codeOf(error)).toBe(Code.INVALID_ARGUMENT);
    expect(String(error)).toContain(message);
  });

  it('requires an interface name when asked to, and checks its characters', () => {
    expect(() =>
      checkKernelMechanism(kernelMechanism({ inodeURL: 'inode://1/2' }), 'client', { requireName: true }),
    ).toThrow('cannot be the client interface name');
    expect(() =>
      checkKernelMechanism(kernelMechanism({ inodeURL: 'inode://1/2', name: 'a b' }), 'client'),
    ).toThrow('"a b" cannot be the client interface name');
    expect(
      checkKernelMechanism(kernelMechanism({ inodeURL: 'inode://1/2', name: 'eth-1' }), 'x').interfaceName,
    ).toBe('eth-1');
  });

  it("prefers the connection's mechanism over the preferences", () => {
    const request = newRequest({
      connection: { mechanism: kernelMechanism({ name: 'held' }) },
      mechanism_preferences: [kernelMechanism({ name: 'offered' })],
    });
    expect(selectKernelMechanism(request).parameters.name).toBe('held');
  });
});
