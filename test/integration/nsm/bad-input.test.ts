import { join } from 'node:path';

import { startNsm, type RunningNsm } from '../../../endpoints/nsm/index.js';
import { newClient } from '../../../sdk/chains/index.js';
import { Code, codeOf, Context, defineClient, type Mechanism, messageOf } from '../../../sdk/core/index.js';
import { GrpcChannelCache, grpcConnect } from '../../../sdk/grpc/index.js';
import { createKernel, type Kernel } from '../../../sdk/kernel/index.js';
import { kernelMechanism } from '../../../sdk/middleware/kernel-mechanism/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import {
  keepRegistered,
  linksOf,
  netnsState,
  registrationOf,
  startTestEndpoint,
  tempDir,
  testLogger,
  type TestEndpoint,
} from './fixtures.js';

skipUnlessRoot('embedded NSM bad-input tests')('the embedded NSM refuses bad requests cleanly', () => {
  const sandbox = useNetnsSandbox('nsmb', { scope: 'all' });
  let dir: ReturnType<typeof tempDir>;
  let nsm: RunningNsm;
  let endpoint: TestEndpoint;
  let keeper: { stop(): void };
  let channels: GrpcChannelCache;
  let kernel: Kernel;
  let a: string;
  let b: string;
  let before: string[];

  beforeAll(async () => {
    dir = tempDir();
    a = sandbox.create('a').name;
    b = sandbox.create('b').name;
    kernel = createKernel();
    before = [await netnsState(a), await netnsState(b)];
    nsm = await startNsm({ socket: join(dir.path, 'nsm.sock'), logger: testLogger() });
    const options = {
      name: 'nse-b',
      service: 'svc',
      netns: b,
      socketDir: dir.path,
      ipam: { ipv4: '172.30.31' },
    };
    endpoint = await startTestEndpoint(options);
    keeper = keepRegistered(nsm.registry, registrationOf(endpoint, options));
    channels = new GrpcChannelCache();
  });

  afterAll(async () => {
    channels.close();
    keeper.stop();
    await endpoint.stop();
    await nsm.stop();
    kernel.close();
    dir.remove();
  });

  /** Sends a request offering exactly `preferences` for `service`; resolves with the error it gets. */
  async function refusal(
    service: string,
    preferences: Mechanism[],
  ): Promise<{ code: Code; message: string }> {
    const client = newClient({
      connectTo: grpcConnect({ target: nsm.address, channels }),
      additional: [
        defineClient('offer', {
          request: (ctx, request, next) => {
            request.mechanism_preferences = preferences;
            return next.request(ctx, request);
          },
        }),
      ],
    });
    const [ctx, cancel] = Context.background().withTimeout(10_000);
    try {
      await client.request(ctx, { connection: { network_service: service } });
    } catch (error) {
      return { code: codeOf(error), message: messageOf(error) };
    } finally {
      cancel();
    }
    throw new Error('the request was accepted');
  }

  function kernelFor(netns: string, name: string): Mechanism {
    return kernelMechanism({ inodeURL: kernel.namespaceInfo(netns).inodeUrl, name });
  }

  async function nothingLeft(): Promise<void> {
    expect(await linksOf(a)).toEqual([]);
    expect(await linksOf(b)).toEqual([]);
    expect([await netnsState(a), await netnsState(b)]).toEqual(before);
    expect(endpoint.counter.requests - endpoint.counter.closes).toBeLessThanOrEqual(0);
  }

  it('an unknown network service: NOT_FOUND', async () => {
    const error = await refusal('no-such-service', [kernelFor(a, 'nsc0')]);
    expect(error).toEqual({
      code: Code.NOT_FOUND,
      message: 'network service "no-such-service" is unknown: no endpoint is registered for it',
    });
    await nothingLeft();
  });

  it('an unknown mechanism: INVALID_ARGUMENT, before the endpoint hears of it', async () => {
    const requestsBefore = endpoint.counter.requests;
    const error = await refusal('svc', [{ cls: 'LOCAL', type: 'MEMIF', parameters: {} }]);
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.message).toBe(
      'cannot support any of the requested mechanisms (offered: MEMIF); only KERNEL is supported here',
    );
    expect(endpoint.counter.requests).toBe(requestsBefore);
    await nothingLeft();
  });

  it('an interface name longer than 15 characters: INVALID_ARGUMENT', async () => {
    const error = await refusal('svc', [kernelFor(a, 'much-too-long-name0')]);
    expect(error).toEqual({
      code: Code.INVALID_ARGUMENT,
      message:
        'the client interface name "much-too-long-name0" is 19 characters long; Linux allows at most 15',
    });
    await nothingLeft();
  });

  it('a namespace URL that names no namespace: NOT_FOUND', async () => {
    const error = await refusal('svc', [kernelMechanism({ inodeURL: 'inode://1/4026599999', name: 'nsc0' })]);
    expect(error).toEqual({
      code: Code.NOT_FOUND,
      message:
        'no network namespace with inodeURL "inode://1/4026599999" exists on this host (searched /run/netns and /proc/*/ns/net)',
    });
    await nothingLeft();
  });

  it("a file URL through /proc/self (the forwarder's own namespace): INVALID_ARGUMENT", async () => {
    const error = await refusal('svc', [
      kernelMechanism({ inodeURL: 'file:///proc/self/ns/net', name: 'nsc0' }),
    ]);
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.message).toContain('would resolve it to its own namespace');
    await nothingLeft();
  });

  it('an interface name taken by another link: ALREADY_EXISTS, the endpoint side undone, the link untouched', async () => {
    const handle = kernel.netns(a);
    await handle.links.createBridge('taken0');
    try {
      const error = await refusal('svc', [kernelFor(a, 'taken0')]);
      expect(error.code).toBe(Code.ALREADY_EXISTS);
      expect(error.message).toContain('the client\'s interface "taken0" already exists');
      expect(await linksOf(a)).toEqual(['taken0']);
      expect(await linksOf(b)).toEqual([]);
      expect(endpoint.counter.closes).toBe(endpoint.counter.requests);
    } finally {
      await handle.links.delete('taken0');
    }
    await nothingLeft();
  });
});
