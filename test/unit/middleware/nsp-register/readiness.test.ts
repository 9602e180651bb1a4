import {
  AlreadyExistsError,
  Code,
  codeOf,
  type Connection,
  defineClient,
  defineServer,
  ipContextOf,
  msToTimestamp,
  newPathSegment,
} from '../../../../sdk/core/index.js';
import { AddressPool, ipamServer } from '../../../../sdk/middleware/ipam/index.js';
import { identifierClient } from '../../../../clients/target/index.js';
import {
  nspRegisterClient,
  nspRegisterServer,
  READY_KEY,
} from '../../../../sdk/middleware/nsp-register/index.js';
import type { NspTarget } from '../../../../sdk/services/nsp/index.js';
import {
  checkRequestServer,
  countServer,
  describeElementContract,
  newSandbox,
} from '../../../../sdk/testing/index.js';

/** Records what the element asks of the NSP, in order, and refuses identifiers listed in `taken`. */
class RecordingRegistrar {
  readonly calls: string[] = [];
  readonly taken = new Set<string>();
  register(target: NspTarget): Promise<void> {
    const identifier = target.context.identifier!;
    if (this.taken.has(identifier)) {
      return Promise.reject(new AlreadyExistsError(`identifier ${identifier} is held by another target`));
    }
    this.calls.push(`register ${identifier}`);
    return Promise.resolve();
  }
  unregister(target: NspTarget): Promise<void> {
    this.calls.push(`unregister ${target.context.identifier!}`);
    return Promise.resolve();
  }
}

const serverSample = (ready: string | undefined) => (id: string, clock: { now(): number }) => ({
  connection: {
    id,
    network_service: 'proxy',
    context: {
      extra_context: { identifier: '7', ...(ready === undefined ? {} : { [READY_KEY]: ready }) },
      ip_context: { src_ip_addrs: ['172.16.3.9/24'] },
    },
    path: {
      index: 0,
      path_segments: [
        newPathSegment({ name: 'target', id, token: 't', expires: msToTimestamp(clock.now() + 600_000) }),
      ],
    },
  },
});

for (const ready of ['false', 'true']) {
  describeElementContract(
    `nspRegisterServer (${READY_KEY}: ${ready})`,
    () => nspRegisterServer({ registrar: new RecordingRegistrar() }),
    { sampleRequest: serverSample(ready) },
  );
}
describeElementContract('nspRegisterClient', () => nspRegisterClient());

describe('nspRegister: the proxy registers a target once it says it is ready', () => {
  function proxySandbox(options: { targetHalf: boolean; identifiers?: boolean }) {
    const registrar = new RecordingRegistrar();
    const counter = countServer();
    const events: string[] = [];
    const seen: (string | undefined)[] = [];
    // Stands for the target's elements that make it ready (VIPs on lo, routes) after next returns.
    const makeReady = defineClient('makeReady', {
      request: async (ctx, request, next) => {
        const connection = await next.request(ctx, request);
        events.push('target ready');
        return connection;
      },
    });
    const registrarSpy = {
      register: async (target: NspTarget) => {
        await registrar.register(target);
        events.push('registered');
      },
      unregister: (target: NspTarget) => registrar.unregister(target),
    };
    // Makes the next answers say "not registered", as a restarted proxy's would.
    const forget = { answers: 0 };
    const sandbox = newSandbox({
      endpoint: {
        additional: [
          defineServer('restartedProxy', {
            request: async (ctx, request, next) => {
              const connection = await next.request(ctx, request);
              if (forget.answers > 0) {
                forget.answers--;
                connection.context!.extra_context[READY_KEY] = 'false';
              }
              return connection;
            },
          }),
          checkRequestServer((request) => {
            seen.push(request.connection!.context?.extra_context[READY_KEY]);
          }),
          ipamServer({ pool: new AddressPool(['172.16.3.0/24']) }),
          nspRegisterServer({ registrar: registrarSpy }),
          counter,
        ],
      },
      client: {
        additional: [
          ...(options.targetHalf ? [nspRegisterClient()] : []),
          makeReady,
          ...(options.identifiers === true ? [identifierClient({ maxTargets: 3, random: () => 0 })] : []),
        ],
      },
    });
    const request = (extra: Record<string, string>): Promise<Connection> =>
      sandbox.request({ connection: { network_service: 'proxy', context: { extra_context: extra } } });
    return { sandbox, registrar, counter, events, seen, forget, request };
  }

  it('registers nothing on a request that says the target is not ready', async () => {
    const { sandbox, registrar, request } = proxySandbox({ targetHalf: false });
    const connection = await request({ identifier: '3', [READY_KEY]: 'false' });
    expect(registrar.calls).toEqual([]);
    expect(connection.context!.extra_context[READY_KEY]).toBe('false');
    sandbox.stop();
  });

  it('registers on the refresh that says the target is ready, once, and keeps it on later refreshes', async () => {
    const { sandbox, registrar, request } = proxySandbox({ targetHalf: false });
    const connection = await request({ identifier: '3', [READY_KEY]: 'false' });
    const ready = structuredClone(connection);
    ready.context!.extra_context[READY_KEY] = 'true';
    const refreshed = await sandbox.request({ connection: ready });
    expect(registrar.calls).toEqual(['register 3']);
    expect(refreshed.context!.extra_context[READY_KEY]).toBe('true');
    await sandbox.request({ connection: refreshed });
    const notReadyAgain = structuredClone(refreshed);
    notReadyAgain.context!.extra_context[READY_KEY] = 'false';
    // "false" does not withdraw a registration; the answer says it holds.
    const answer = await sandbox.request({ connection: notReadyAgain });
    expect(answer.context!.extra_context[READY_KEY]).toBe('true');
    expect(registrar.calls).toEqual(['register 3']);
    await sandbox.close(refreshed);
    expect(registrar.calls).toEqual(['register 3', 'unregister 3']);
    sandbox.stop();
  });

  it('registers at once a request without the key (clients that do not send it)', async () => {
    const { sandbox, registrar, events, request } = proxySandbox({ targetHalf: false });
    const connection = await request({ identifier: '4' });
    expect(registrar.calls).toEqual(['register 4']);
    expect(connection.context!.extra_context[READY_KEY]).toBeUndefined();
    expect(events).toEqual(['registered', 'target ready']);
    await sandbox.close(connection);
    expect(registrar.calls).toEqual(['register 4', 'unregister 4']);
    sandbox.stop();
  });

  it('registers nothing on a connection new to it even when it says ready, and asks for a ready refresh', async () => {
    // A target healing onto a restarted proxy: its link is made again after this answer.
    const { sandbox, registrar, request } = proxySandbox({ targetHalf: false });
    const connection = await request({ identifier: '13', [READY_KEY]: 'true' });
    expect(registrar.calls).toEqual([]);
    expect(connection.context!.extra_context[READY_KEY]).toBe('false');
    const ready = structuredClone(connection);
    ready.context!.extra_context[READY_KEY] = 'true';
    expect((await sandbox.request({ connection: ready })).context!.extra_context[READY_KEY]).toBe('true');
    expect(registrar.calls).toEqual(['register 13']);
    sandbox.stop();
  });

  it('unregisters on close only a target it registered', async () => {
    const { sandbox, registrar, counter, request } = proxySandbox({ targetHalf: false });
    const connection = await request({ identifier: '5', [READY_KEY]: 'false' });
    await sandbox.close(connection);
    expect(registrar.calls).toEqual([]);
    expect(counter.closes).toBe(1);
    sandbox.stop();
  });

  it('refuses a readiness value other than true or false before doing anything', async () => {
    const { sandbox, counter, request } = proxySandbox({ targetHalf: false });
    const error = await request({ identifier: '6', [READY_KEY]: 'yes' }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe(Code.INVALID_ARGUMENT);
    expect(String(error)).toMatch(/"ready": "yes"/);
    expect(counter.requests).toBe(0);
    sandbox.stop();
  });

  it('keeps the connection when the ready refresh finds the identifier taken, and registers another', async () => {
    const { sandbox, registrar, counter, request } = proxySandbox({ targetHalf: false });
    registrar.taken.add('8');
    const connection = await request({ identifier: '8', [READY_KEY]: 'false' });
    const ready = structuredClone(connection);
    ready.context!.extra_context[READY_KEY] = 'true';
    const error = await sandbox.request({ connection: ready }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe(Code.ALREADY_EXISTS);
    expect(counter.closes).toBe(0);
    ready.context!.extra_context.identifier = '9';
    await sandbox.request({ connection: ready });
    expect(registrar.calls).toEqual(['register 9']);
    sandbox.stop();
  });

  it("with the target's half: the first request says not ready, the refresh that follows at once says ready", async () => {
    const { sandbox, registrar, events, seen, request } = proxySandbox({ targetHalf: true });
    const connection = await request({ identifier: '10' });
    expect(seen).toEqual(['false']);
    expect(registrar.calls).toEqual([]);
    await sandbox.clock.advance(0);
    expect(seen).toEqual(['false', 'true']);
    expect(registrar.calls).toEqual(['register 10']);
    // The target's elements had done their work before the proxy registered it.
    expect(events.slice(0, 2)).toEqual(['target ready', 'registered']);
    // A later refresh says ready straight away and registers nothing more.
    await sandbox.request({ connection });
    expect(seen).toEqual(['false', 'true', 'true']);
    expect(registrar.calls).toEqual(['register 10']);
    expect(ipContextOf(connection).src_ip_addrs).toHaveLength(1);
    await sandbox.close(connection);
    expect(registrar.calls).toEqual(['register 10', 'unregister 10']);
    sandbox.stop();
  });

  it("with the target's half: a failed ready refresh is tried again until it succeeds; a close stops it", async () => {
    const { sandbox, registrar, seen, request } = proxySandbox({ targetHalf: true });
    registrar.taken.add('11');
    await request({ identifier: '11' });
    await sandbox.clock.advance(0);
    await sandbox.clock.advance(200);
    expect(seen).toEqual(['false', 'true', 'true']);
    registrar.taken.delete('11');
    await sandbox.clock.advance(400);
    expect(registrar.calls).toEqual(['register 11']);
    await sandbox.clock.advance(10_000);
    expect(seen.filter((r) => r === 'true')).toHaveLength(3);

    const second = await request({ identifier: '12' });
    await sandbox.close(second);
    await sandbox.clock.advance(10_000);
    expect(registrar.calls).toEqual(['register 11']);
    sandbox.stop();
  });

  it("with the target's half: an identifier found taken at the ready refresh moves to another on the same connection", async () => {
    const { sandbox, registrar, counter, seen, request } = proxySandbox({
      targetHalf: true,
      identifiers: true,
    });
    registrar.taken.add('1');
    const connection = await request({});
    expect(connection.context!.extra_context.identifier).toBe('1');
    await sandbox.clock.advance(0);
    expect(seen).toEqual(['false', 'true', 'true']);
    expect(registrar.calls).toEqual(['register 2']);
    expect(counter.closes).toBe(0);
    expect(counter.uniqueRequests).toBe(1);
    sandbox.stop();
  });

  it("with the target's half: an answer that says not registered (a restarted proxy) starts a ready refresh", async () => {
    const { sandbox, registrar, seen, forget, request } = proxySandbox({ targetHalf: true });
    const connection = await request({ identifier: '14' });
    await sandbox.clock.advance(0);
    expect(registrar.calls).toEqual(['register 14']);
    forget.answers = 2;
    await sandbox.request({ connection });
    expect(seen).toEqual(['false', 'true', 'true']);
    await sandbox.clock.advance(0);
    expect(seen).toEqual(['false', 'true', 'true', 'true']);
    // Still "not registered": again after a backoff, then no more once an answer says registered.
    await sandbox.clock.advance(200);
    expect(seen).toEqual(['false', 'true', 'true', 'true', 'true']);
    await sandbox.clock.advance(10_000);
    expect(seen).toHaveLength(5);
    sandbox.stop();
  });
});
