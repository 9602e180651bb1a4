import { randomInt } from 'node:crypto';

import {
  Code,
  codeOf,
  contextOf,
  copyMessage,
  defineClient,
  InvalidArgumentError,
  type NetworkServiceClient,
  ResourceExhaustedError,
} from '../../sdk/core/index.js';
import { IDENTIFIER_KEY } from '../../sdk/services/nsp/index.js';

export interface IdentifierOptions {
  /** Identifiers are 1..maxTargets (the LB's Maglev slots). */
  readonly maxTargets: number;
  /** Picks an integer in [0, n); default crypto's randomInt. */
  readonly random?: (n: number) => number;
}

/**
 * Gives the target an identifier in 1..maxTargets in the connection's extra context — the one it has,
 * or a random one — and, when the proxy answers ALREADY_EXISTS (another target holds it at the NSP),
 * asks again with another random identifier it has not tried, until one is free. Nothing to undo.
 */
export function identifierClient(options: IdentifierOptions): NetworkServiceClient {
  const { maxTargets } = options;
  if (!Number.isSafeInteger(maxTargets) || maxTargets < 1) {
    throw new InvalidArgumentError(`maxTargets must be a whole number of at least 1, not ${maxTargets}`);
  }
  const random = options.random ?? ((n: number) => randomInt(n));
  const pick = (tried: ReadonlySet<string>): string => {
    const free: number[] = [];
    for (let identifier = 1; identifier <= maxTargets; identifier++) {
      if (!tried.has(String(identifier))) free.push(identifier);
    }
    return String(free[random(free.length)]);
  };
  return defineClient('identifier', {
    request: async (ctx, request, next) => {
      const tried = new Set<string>();
      const held =
        request.connection === null ? undefined : contextOf(request.connection).extra_context[IDENTIFIER_KEY];
      let identifier = held !== undefined && held !== '' ? held : pick(tried);
      for (;;) {
        const attempt = copyMessage(request);
        contextOf(attempt.connection!).extra_context[IDENTIFIER_KEY] = identifier;
        try {
          return await next.request(ctx, attempt);
        } catch (error) {
          if (codeOf(error) !== Code.ALREADY_EXISTS) throw error;
          tried.add(identifier);
          if (tried.size >= maxTargets) {
            throw new ResourceExhaustedError(
              `every identifier from 1 to ${maxTargets} is held by another target: this trench has no room for one more`,
              { cause: error },
            );
          }
          const taken = identifier;
          identifier = pick(tried);
          ctx.logger.info({ taken, next: identifier }, 'the identifier is taken; trying another');
        }
      }
    },
  });
}
