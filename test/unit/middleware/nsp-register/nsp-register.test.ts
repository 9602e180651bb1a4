import { startNspService, type RunningNspService } from '../../../../endpoints/nsp/index.js';
import {
  Code,
  codeOf,
  type Connection,
  ipContextOf,
  msToTimestamp,
  newPathSegment,
} from '../../../../sdk/core/index.js';
import { AddressPool, ipamServer } from '../../../../sdk/middleware/ipam/index.js';
import { nspRegisterServer } from '../../../../sdk/middleware/nsp-register/index.js';
import {
  createNspClient,
  createTargetRegistrar,
  type NspClient,
  type NspTarget,
  type TargetRegistrar,
} from '../../../../sdk/services/nsp/index.js';
import { countServer, describeElementContract, newSandbox } from '../../../../sdk/testing/index.js';
import { eventually, scratch, silent } from '../../../integration/services/helpers.js';

/** A registrar that only remembers (for the contract suite, which checks the chain rules alone). */
class RememberingRegistrar {
  readonly targets = new Map<string, NspTarget>();
  register(target: NspTarget): Promise<void> {
    this.targets.set(target.ips.join(), target);
    return Promise.resolve();
  }
  unregister(target: NspTarget): Promise<void> {
    this.targets.delete(target.ips.join());
    return Promise.resolve();
  }
}

describeElementContract(
  'nspRegisterServer',
  () => nspRegisterServer({ registrar: new RememberingRegistrar() }),
  {
    sampleRequest: (id, clock) => ({
      connection: {
        id,
        network_service: 'proxy',
        context: {
          extra_context: { identifier: '7' },
          ip_context: { src_ip_addrs: ['172.16.3.9/24'] },
        },
        path: {
          index: 0,
          path_segments: [
            newPathSegment({ name: 'target', id, token: 't', expires: msToTimestamp(clock.now() + 600_000) }),
          ],
        },
      },
    }),
  },
);

describe('nspRegisterServer with the NSP over gRPC', () => {
  const KEEPALIVE_MS = 1500;
  let dirs: ReturnType<typeof scratch>;
  let nsp: RunningNspService;
  let client: NspClient;
  let registrar: TargetRegistrar;

  beforeEach(async () => {
    dirs = scratch('nsp-register');
    const listen = dirs.socket('nsp.sock');
    nsp = await startNspService({
      listen,
      databasePath: ':memory:',
      keepaliveMs: KEEPALIVE_MS,
      logger: silent,
    });
    client = createNspClient({ address: listen });
    registrar = createTargetRegistrar(client, { keepaliveMs: KEEPALIVE_MS });
  });

  afterEach(async () => {
    registrar.close();
    client.close();
    await nsp.stop();
    dirs.remove();
  });

  function proxySandbox(pool = new AddressPool(['172.16.3.0/24', 'fd00:0:0:3::/64'])) {
    const counter = countServer();
    const sandbox = newSandbox({
      endpoint: { additional: [ipamServer({ pool }), nspRegisterServer({ registrar }), counter] },
    });
    const clients = new Map<string, ReturnType<typeof sandbox.newClient>>();
    /** A new target (its own client) with this identifier. */
    const request = async (identifier: string | undefined): Promise<Connection> => {
      const client = sandbox.newClient();
      const connection = await client.request(sandbox.context(), {
        connection: {
          network_service: 'proxy',
          context: { extra_context: identifier === undefined ? {} : { identifier } },
        },
      });
      clients.set(connection.id, client);
      return connection;
    };
    /** The target's own client again (a refresh), or its close. */
    const again = (connection: Connection): Promise<Connection> =>
      clients.get(connection.id)!.request(sandbox.context(), { connection });
    const close = (connection: Connection): Promise<void> =>
      clients.get(connection.id)!.close(sandbox.context(), connection);
    return { sandbox, counter, pool, request, again, close };
  }

  it('registers each target with its addresses and identifier, and unregisters it on close', async () => {
    const { sandbox, request, close } = proxySandbox();
    const first = await request('3');
    const second = await request('14');
    const registered = await client.getTargets();
    expect(registered.map((t) => ({ ips: [...t.ips], identifier: t.context.identifier }))).toEqual(
      expect.arrayContaining([
        { ips: ipContextOf(first).src_ip_addrs, identifier: '3' },
        { ips: ipContextOf(second).src_ip_addrs, identifier: '14' },
      ]),
    );
    await close(first);
    expect((await client.getTargets()).map((t) => t.context.identifier)).toEqual(['14']);
    sandbox.stop();
  });

  it('keeps a target registered beyond the keepalive, and lets it go when the proxy stops', async () => {
    const { sandbox, request } = proxySandbox();
    await request('5');
    const seenAt = Date.now();
    await eventually(() => Date.now() - seenAt > 2 * KEEPALIVE_MS, 'two keepalives passed');
    expect((await client.getTargets()).map((t) => t.context.identifier)).toEqual(['5']);
    registrar.close();
    await eventually(async () => (await client.getTargets()).length === 0, 'the NSP expired the target');
    sandbox.stop();
  });

  it('fails a new connection whose identifier is taken with ALREADY_EXISTS and undoes it', async () => {
    const { sandbox, counter, pool, request } = proxySandbox();
    await request('9');
    const error = await request('9').catch((e: unknown) => e);
    expect(codeOf(error)).toBe(Code.ALREADY_EXISTS);
    expect(String(error)).toMatch(/identifier 9 is held by target/);
    expect(counter.closes).toBe(1);
    expect(pool.owners).toBe(1);
    expect(await client.getTargets()).toHaveLength(1);
    await request('10');
    expect(await client.getTargets()).toHaveLength(2);
    sandbox.stop();
  });

  it('refuses a request without a valid identifier before doing anything', async () => {
    const { sandbox, counter, pool, request } = proxySandbox();
    for (const identifier of [undefined, '0', '101', 'x1']) {
      const error = await request(identifier).catch((e: unknown) => e);
      expect(codeOf(error)).toBe(Code.INVALID_ARGUMENT);
    }
    expect(counter.requests).toBe(0);
    expect(pool.owners).toBe(0);
    sandbox.stop();
  });

  it('registers the new identifier when a refresh changes it, keeping the old one when the NSP refuses', async () => {
    const { sandbox, request, again } = proxySandbox();
    const connection = await request('20');
    await request('21');
    const changed = structuredClone(connection);
    changed.context!.extra_context.identifier = '21';
    const error = await again(changed).catch((e: unknown) => e);
    expect(codeOf(error)).toBe(Code.ALREADY_EXISTS);
    expect((await client.getTargets()).map((t) => t.context.identifier).sort()).toEqual(['20', '21']);
    changed.context!.extra_context.identifier = '22';
    await again(changed);
    expect((await client.getTargets()).map((t) => t.context.identifier).sort()).toEqual(['21', '22']);
    sandbox.stop();
  });
});
