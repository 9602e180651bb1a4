import {
  AlreadyExistsError,
  defineServer,
  MeridioError,
  Code,
  type NetworkServiceServer,
} from '../../../sdk/core/index.js';
import { type ContractCheck, elementContractChecks } from '../../../sdk/testing/index.js';

function check(checks: ContractCheck[], prefix: string): ContractCheck {
  const found = checks.find((c) => c.name.startsWith(prefix));
  if (found === undefined) throw new Error(`no contract check starts with "${prefix}"`);
  return found;
}

const wellBehaved = (): NetworkServiceServer => {
  const held = new Set<string>();
  return defineServer('well-behaved', {
    request: async (ctx, request, next) => {
      const id = request.connection!.id;
      const isNew = !held.has(id);
      held.add(id);
      try {
        return await next.request(ctx, request);
      } catch (error) {
        if (isNew) held.delete(id);
        throw error;
      }
    },
    close: async (ctx, connection, next) => {
      held.delete(connection.id);
      await next.close(ctx, connection);
    },
  });
};

describe('elementContractChecks', () => {
  it('passes an element that keeps the contract', async () => {
    for (const c of elementContractChecks(wellBehaved, { environment: 'bare' })) await c.run();
  });

  it('catches an element that does not call next', async () => {
    const swallowing = (): NetworkServiceServer =>
      defineServer('swallowing', {
        request: (_ctx, request) => Promise.resolve(request.connection!),
        close: () => Promise.resolve(),
      });
    const checks = elementContractChecks(swallowing, { environment: 'bare' });
    await expect(check(checks, 'calls next').run()).rejects.toThrow('did not reach next');
  });

  it("catches an element that changes next's error code", async () => {
    const rewriting = (): NetworkServiceServer =>
      defineServer('rewriting', {
        request: (ctx, request, next) =>
          next.request(ctx, request).catch(() => {
            throw new MeridioError('something went wrong', Code.UNAVAILABLE);
          }),
      });
    const checks = elementContractChecks(rewriting, { environment: 'bare' });
    await expect(check(checks, "returns next's error").run()).rejects.toThrow("error's code changed");
  });

  it('catches an element that keeps its work when next fails', async () => {
    const leaking = (): NetworkServiceServer => {
      const held = new Set<string>();
      return defineServer('leaking', {
        request: (ctx, request, next) => {
          const id = request.connection!.id;
          if (held.has(id)) return Promise.reject(new AlreadyExistsError(`${id} is already held`));
          held.add(id);
          return next.request(ctx, request);
        },
      });
    };
    const checks = elementContractChecks(leaking, { environment: 'bare' });
    await expect(check(checks, 'undoes its own work').run()).rejects.toThrow('already held');
  });

  it('catches an element whose Close stops at unknown connections', async () => {
    const forgetful = (): NetworkServiceServer => {
      const held = new Set<string>();
      return defineServer('forgetful', {
        request: async (ctx, request, next) => {
          const connection = await next.request(ctx, request);
          held.add(connection.id);
          return connection;
        },
        close: async (ctx, connection, next) => {
          if (!held.delete(connection.id)) return;
          await next.close(ctx, connection);
        },
      });
    };
    const checks = elementContractChecks(forgetful, { environment: 'bare' });
    await expect(check(checks, 'Close is idempotent').run()).rejects.toThrow('1 of 3 Closes reached next');
  });

  it('catches an element that closes the connection when a refresh fails', async () => {
    const tearingDown = (): NetworkServiceServer =>
      defineServer('tearing-down', {
        request: async (ctx, request, next) => {
          try {
            return await next.request(ctx, request);
          } catch (error) {
            await next.close(ctx, request.connection!);
            throw error;
          }
        },
      });
    const checks = elementContractChecks(tearingDown, { environment: 'bare' });
    await expect(check(checks, 'a failed refresh').run()).rejects.toThrow('closed the connection downstream');
  });
});
