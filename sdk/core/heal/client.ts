import { cloneConnection } from '../connection.js';
import type { NetworkServiceClient } from '../element.js';
import { eventFactoryOf } from '../begin/index.js';
import { InvalidArgumentError } from '../errors.js';
import { ConnectionHeal } from './connection-heal.js';
import type { HealOptions, HealSettings } from './options.js';

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`heal's ${name} must be a positive number of milliseconds, not ${value}`);
  }
  return value;
}

/**
 * Keeps the client's connections healed (NSM's heal client): after each successful Request it watches
 * the connection on the NSM's MonitorConnection and, when the connection is reported DOWN, vanishes from
 * the NSM (a restart) or fails its liveness check, requests it again through begin's event factory —
 * with reselect when its path beyond the NSM is gone — until that succeeds. Close stops watching; a
 * heal that is running stops once begin no longer holds the connection. Put it after begin and metadata
 * (the standard client's `heal` option).
 */
export function healClient(options: HealOptions): NetworkServiceClient {
  const settings: HealSettings = {
    monitor: options.monitor,
    livenessCheck: options.livenessCheck,
    livenessIntervalMs: positive('livenessIntervalMs', options.livenessIntervalMs ?? 1000),
    retryIntervalMs: positive('retryIntervalMs', options.retryIntervalMs ?? 200),
    maxReconnectMs: 1000,
    signal: options.signal,
  };
  const heals = new Map<string, ConnectionHeal>();
  const forget = (heal: ConnectionHeal): void => {
    if (heals.get(heal.id) === heal && heal.idle) heals.delete(heal.id);
  };
  return {
    kind: 'client',
    name: 'heal',
    request: async (ctx, request, next) => {
      const events = eventFactoryOf(ctx);
      const connection = await next.request(ctx, request);
      let heal = heals.get(connection.id);
      if (heal === undefined) {
        heal = new ConnectionHeal(connection.id, events, cloneConnection(connection), ctx, settings, forget);
        heals.set(connection.id, heal);
      }
      heal.update(events, connection, ctx);
      return connection;
    },
    close: async (ctx, connection, next) => {
      try {
        heals.get(connection.id)?.closed();
      } finally {
        await next.close(ctx, connection);
      }
    },
  };
}
