import { identifierClient } from '../../../clients/target/index.js';
import {
  AlreadyExistsError,
  Code,
  codeOf,
  type Connection,
  defineServer,
  UnavailableError,
} from '../../../sdk/core/index.js';
import { countServer, describeElementContract, newSandbox } from '../../../sdk/testing/index.js';

/** An endpoint that refuses identifiers another target holds, as the proxy does with the NSP's answer. */
function nspLike(taken: Set<string>, seen: string[]) {
  return defineServer('nspLike', {
    request: (ctx, request, next) => {
      const identifier = request.connection!.context!.extra_context.identifier!;
      seen.push(identifier);
      if (taken.has(identifier)) {
        return Promise.reject(new AlreadyExistsError(`identifier ${identifier} is held by another target`));
      }
      return next.request(ctx, request);
    },
  });
}

const identifierOf = (connection: Connection): string | undefined =>
  connection.context?.extra_context.identifier;

describeElementContract('identifierClient', () => identifierClient({ maxTargets: 100 }));

describe('identifierClient', () => {
  it('sends a random identifier from 1 to maxTargets and keeps it on refresh', async () => {
    const seen: string[] = [];
    const sandbox = newSandbox({
      endpoint: { additional: [nspLike(new Set(), seen)] },
      client: { additional: [identifierClient({ maxTargets: 100 })] },
    });
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    const identifier = identifierOf(connection)!;
    expect(Number(identifier)).toBeGreaterThanOrEqual(1);
    expect(Number(identifier)).toBeLessThanOrEqual(100);
    const refreshed = await sandbox.request({ connection });
    expect(identifierOf(refreshed)).toBe(identifier);
    expect(seen).toEqual([identifier, identifier]);
    sandbox.stop();
  });

  it('tries another identifier it has not tried when the proxy answers ALREADY_EXISTS', async () => {
    const seen: string[] = [];
    const counter = countServer();
    const sandbox = newSandbox({
      endpoint: { additional: [nspLike(new Set(['1', '2']), seen), counter] },
      // Always the lowest untried identifier, so the order is known.
      client: { additional: [identifierClient({ maxTargets: 5, random: () => 0 })] },
    });
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    expect(seen).toEqual(['1', '2', '3']);
    expect(identifierOf(connection)).toBe('3');
    expect(counter.requests).toBe(1);
    sandbox.stop();
  });

  it('moves a refreshed connection whose identifier was taken meanwhile to a free one', async () => {
    const taken = new Set<string>();
    const seen: string[] = [];
    const sandbox = newSandbox({
      endpoint: { additional: [nspLike(taken, seen)] },
      client: { additional: [identifierClient({ maxTargets: 5, random: () => 0 })] },
    });
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    taken.add('1');
    const healed = await sandbox.request({ connection });
    expect(identifierOf(healed)).toBe('2');
    sandbox.stop();
  });

  it('fails with RESOURCE_EXHAUSTED when every identifier is taken, and passes other errors on untouched', async () => {
    const full = newSandbox({
      endpoint: { additional: [nspLike(new Set(['1', '2', '3']), [])] },
      client: { additional: [identifierClient({ maxTargets: 3 })] },
    });
    const error = await full.request({ connection: { network_service: 'proxy' } }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe(Code.RESOURCE_EXHAUSTED);
    expect(String(error)).toMatch(/every identifier from 1 to 3 is held by another target/);
    full.stop();

    let attempts = 0;
    const down = newSandbox({
      endpoint: {
        additional: [
          defineServer('down', {
            request: () => {
              attempts++;
              return Promise.reject(new UnavailableError('the proxy is restarting'));
            },
          }),
        ],
      },
      client: { additional: [identifierClient({ maxTargets: 3 })] },
    });
    const unavailable = await down
      .request({ connection: { network_service: 'proxy' } })
      .catch((e: unknown) => e);
    expect(codeOf(unavailable)).toBe(Code.UNAVAILABLE);
    expect(attempts).toBe(1);
    down.stop();
  });

  it('refuses a maxTargets below 1', () => {
    expect(() => identifierClient({ maxTargets: 0 })).toThrow(/at least 1/);
  });
});
