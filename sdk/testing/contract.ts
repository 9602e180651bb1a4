import assert from 'node:assert/strict';

import {
  beginClient,
  beginServer,
  chainServer,
  clientToServer,
  cloneConnection,
  codeOf,
  type Connection,
  Context,
  FailedPreconditionError,
  messageOf,
  metadataClient,
  metadataServer,
  msToTimestamp,
  type NetworkServiceClient,
  type NetworkServiceRequest,
  type NetworkServiceServer,
  newPathSegment,
  newRequest,
  PermissionDeniedError,
  type RequestInit,
  runClose,
  runRequest,
  updatepathClient,
  updatepathServer,
  updatetokenClient,
  updatetokenServer,
} from '../core/index.js';
import { countServer, type CountingServer } from './count.js';
import { FakeClock } from './fake-clock.js';
import { injectErrorServer, type InjectErrorOptions } from './inject-error.js';

export interface ContractOptions {
  /**
   * The request the suite sends for a connection id. Default: for a server element, a connection that
   * arrives from a client hop with a valid token (what timeout needs); for a client element, a bare
   * connection with that id.
   */
  readonly sampleRequest?: (id: string, clock: FakeClock) => RequestInit;
  /**
   * `standard` (default): the element runs behind updatepath, begin, updatetoken and metadata, as in the
   * standard chains. `bare`: alone (for those elements themselves and for elements that need nothing).
   */
  readonly environment?: 'standard' | 'bare';
  /** The error next fails with. Default a PERMISSION_DENIED error (final: retry does not retry it). */
  readonly injectedError?: () => Error;
  /**
   * Set for begin: by design it stops a Close for an id it does not hold (that is what makes Close
   * idempotent for the whole chain), so only the first Close of a connection reaches next.
   */
  readonly absorbsUnknownClose?: boolean;
}

type AnyElement = NetworkServiceServer | NetworkServiceClient;

interface TestRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
}

function testRunner(): TestRunner {
  const globals = globalThis as { describe?: unknown; it?: unknown };
  if (typeof globals.describe !== 'function' || typeof globals.it !== 'function') {
    throw new FailedPreconditionError(
      'describeElementContract declares tests, so it needs a runner with describe/it globals (jest)',
    );
  }
  return globals as unknown as TestRunner;
}

function asServer(element: AnyElement): NetworkServiceServer {
  return element.kind === 'server' ? element : clientToServer(element);
}

function defaultSample(kind: AnyElement['kind']): (id: string, clock: FakeClock) => RequestInit {
  if (kind === 'client') return (id) => ({ connection: { id, network_service: 'contract-service' } });
  return (id, clock) => ({
    connection: {
      id,
      network_service: 'contract-service',
      path: {
        index: 0,
        path_segments: [
          newPathSegment({
            name: 'contract-client',
            id,
            token: 'contract-token',
            expires: msToTimestamp(clock.now() + 600_000),
          }),
        ],
      },
    },
  });
}

/** The element under test between its environment and a probe that counts what reaches next. */
class Harness {
  readonly clock = new FakeClock();
  readonly ctx = Context.background({ clock: this.clock });
  readonly probe: CountingServer = countServer();
  /** Environment + element + probe + injected errors. */
  readonly chain: NetworkServiceServer;
  /** The same instances without begin, so every Close reaches the element. */
  readonly chainWithoutBegin: NetworkServiceServer;
  private readonly sample: (id: string, clock: FakeClock) => RequestInit;

  constructor(element: AnyElement, options: ContractOptions, inject: InjectErrorOptions) {
    this.sample = options.sampleRequest ?? defaultSample(element.kind);
    const injected = injectErrorServer({ requestErrorTimes: [], closeErrorTimes: [], ...inject });
    const tail = [asServer(element), this.probe, injected];
    if (options.environment === 'bare') {
      this.chain = chainServer(...tail);
      this.chainWithoutBegin = this.chain;
      return;
    }
    const [updatepath, begin, updatetoken, metadata] =
      element.kind === 'server'
        ? [updatepathServer('contract-endpoint'), beginServer(), updatetokenServer(), metadataServer()]
        : [
            clientToServer(updatepathClient('contract-client')),
            clientToServer(beginClient()),
            clientToServer(updatetokenClient()),
            clientToServer(metadataClient()),
          ];
    this.chain = chainServer(updatepath, begin, updatetoken, metadata, ...tail);
    this.chainWithoutBegin = chainServer(updatepath, updatetoken, metadata, ...tail);
  }

  newRequest(id = 'contract-connection'): NetworkServiceRequest {
    return newRequest(this.sample(id, this.clock));
  }

  request(request: NetworkServiceRequest = this.newRequest()): Promise<Connection> {
    return runRequest(this.chain, this.ctx, request);
  }

  refresh(connection: Connection): Promise<Connection> {
    return runRequest(this.chain, this.ctx, {
      connection: cloneConnection(connection),
      mechanism_preferences: [],
    });
  }

  close(connection: Connection, chain = this.chain): Promise<void> {
    return runClose(chain, this.ctx, cloneConnection(connection));
  }
}

async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail(`${what} should have failed`);
}

function assertSameError(actual: unknown, injected: Error): void {
  assert.equal(codeOf(actual), codeOf(injected), `the error's code changed: ${messageOf(actual)}`);
  assert.ok(
    messageOf(actual).includes(injected.message),
    `the error no longer says what next said: "${messageOf(actual)}"`,
  );
}

/** One check of the element contract; `run` rejects with an assertion error when the element breaks it. */
export interface ContractCheck {
  readonly name: string;
  run(): Promise<void>;
}

/**
 * The element contract (ARCHITECTURE.md §2) as checks: it calls next; it returns next's error with its
 * code; when next fails it undoes its own work (a Close of that connection is harmless and a later
 * Request succeeds); Close is idempotent and always calls next; a failed refresh does not tear the
 * connection down. `factory` is called once per check.
 */
export function elementContractChecks(
  factory: () => AnyElement,
  options: ContractOptions = {},
): ContractCheck[] {
  const injectedError =
    options.injectedError ?? (() => new PermissionDeniedError('next refused (contract suite)'));
  const harness = (inject: InjectErrorOptions = {}): Harness =>
    new Harness(factory(), options, { ...inject, error: injectedError() });
  return [
    {
      name: 'calls next on Request and on Close',
      run: async () => {
        const h = harness();
        const connection = await h.request();
        assert.equal(h.probe.requests, 1, 'Request did not reach next');
        await h.close(connection);
        assert.equal(h.probe.closes, 1, 'Close did not reach next');
      },
    },
    {
      name: "returns next's error with its code, on Request and on Close",
      run: async () => {
        const h = harness({ requestErrorTimes: [0], closeErrorTimes: [0] });
        const expected = injectedError();
        assertSameError(await rejection(h.request(), 'a Request whose next fails'), expected);
        const connection = await h.request();
        assertSameError(await rejection(h.close(connection), 'a Close whose next fails'), expected);
      },
    },
    {
      name: 'undoes its own work when next fails: a Close after is harmless and a new Request succeeds',
      run: async () => {
        const h = harness({ requestErrorTimes: [0] });
        const failed = h.newRequest();
        await rejection(h.request(failed), 'a Request whose next fails');
        await h.close(failed.connection!);
        const connection = await h.request();
        assert.ok(connection.id !== '', 'the Request after a failed one returned no connection id');
        await h.close(connection);
      },
    },
    {
      name: 'Close is idempotent and always calls next',
      run: async () => {
        const h = harness();
        const connection = await h.request();
        await h.close(connection, h.chainWithoutBegin);
        await h.close(connection, h.chainWithoutBegin);
        await h.close(h.newRequest('contract-never-requested').connection!, h.chainWithoutBegin);
        const expected = options.absorbsUnknownClose === true ? 1 : 3;
        assert.equal(
          h.probe.closes,
          expected,
          `${h.probe.closes} of 3 Closes reached next, expected ${expected}`,
        );
      },
    },
    {
      name: 'a failed refresh does not tear the connection down',
      run: async () => {
        const h = harness({ requestErrorTimes: [1] });
        const connection = await h.request();
        await rejection(h.refresh(connection), 'a refresh whose next fails');
        assert.equal(h.probe.closes, 0, 'a failed refresh closed the connection downstream');
        const refreshed = await h.refresh(connection);
        assert.equal(refreshed.id, connection.id, 'the refreshed connection has another id');
        await h.close(refreshed);
        assert.equal(h.probe.closes, 1, 'Close after a failed refresh did not reach next once');
      },
    },
  ];
}

/** Declares `elementContractChecks` as jest tests, in one line per element. */
export function describeElementContract(
  name: string,
  factory: () => AnyElement,
  options: ContractOptions = {},
): void {
  const { describe, it } = testRunner();
  describe(`${name} keeps the element contract`, () => {
    for (const check of elementContractChecks(factory, options)) it(check.name, () => check.run());
  });
}
