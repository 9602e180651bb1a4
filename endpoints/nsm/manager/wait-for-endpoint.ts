import { type Context, NotFoundError } from '../../../sdk/core/index.js';
import type { NetworkServiceEndpoint } from '../../../sdk/registry/index.js';
import type { Registry } from '../registry/index.js';

/**
 * Waits until the endpoint `name` serving `service` is registered, for at most `maxWaitMs` (and never
 * past the request's deadline, keeping a second to answer). A restarted NSM starts with an empty
 * registry while its clients refresh connections that name their endpoints; those endpoints register
 * again within a third of the registry expiry.
 */
export async function waitForEndpoint(
  registry: Registry,
  name: string,
  service: string,
  ctx: Context,
  maxWaitMs: number,
): Promise<NetworkServiceEndpoint> {
  const remaining = ctx.remainingMs();
  const budget = Math.max(0, Math.min(maxWaitMs, remaining === undefined ? maxWaitMs : remaining - 1000));
  const serves = (endpoint: NetworkServiceEndpoint): boolean =>
    endpoint.network_service_names.includes(service);
  const [waitCtx, cancel] = ctx.withTimeout(budget);
  try {
    const found = await new Promise<NetworkServiceEndpoint | undefined>((resolve) => {
      const subscription = registry.watchEndpoints(
        { name },
        {
          onEvent: (event) => {
            if (!event.deleted && serves(event.item)) finish(event.item);
          },
          onClose: () => finish(undefined),
        },
      );
      const onDone = (): void => finish(undefined);
      let done = false;
      function finish(endpoint: NetworkServiceEndpoint | undefined): void {
        if (done) return;
        done = true;
        subscription.cancel();
        waitCtx.signal.removeEventListener('abort', onDone);
        resolve(endpoint);
      }
      const already = subscription.snapshot.find(serves);
      if (already !== undefined) finish(already);
      else if (waitCtx.signal.aborted) finish(undefined);
      else waitCtx.signal.addEventListener('abort', onDone, { once: true });
    });
    if (found !== undefined) return found;
  } finally {
    cancel();
  }
  const late = registry.endpoint(name);
  if (late !== undefined && serves(late)) return late;
  throw new NotFoundError(
    `network service endpoint "${name}" of network service "${service}" is not registered (waited ${budget} ms for it to register again)`,
  );
}
