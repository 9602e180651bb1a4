import { type Context, type ContextKey, contextKey } from '../context.js';
import { Code, MeridioError } from '../errors.js';

/**
 * Per-connection values of the elements of one side, keyed like context values: each element declares
 * its own `contextKey<T>()` in a private module, so two elements never read each other's state.
 */
export class MetadataMap {
  private readonly values = new Map<ContextKey<unknown>, unknown>();

  get<T>(key: ContextKey<T>): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set<T>(key: ContextKey<T>, value: T): void {
    this.values.set(key, value);
  }

  has<T>(key: ContextKey<T>): boolean {
    return this.values.has(key);
  }

  delete<T>(key: ContextKey<T>): boolean {
    return this.values.delete(key);
  }

  /** Removes the value and returns it (the NSM SDK's loadAndDelete). */
  take<T>(key: ContextKey<T>): T | undefined {
    const value = this.values.get(key) as T | undefined;
    this.values.delete(key);
    return value;
  }
}

/** One connection's metadata: server elements and client elements get separate maps. */
export class MetadataRecord {
  readonly server = new MetadataMap();
  readonly client = new MetadataMap();
}

/** Thrown when an element asks for metadata in a chain without a metadata element before it. */
export class MetadataMissingError extends MeridioError {
  constructor(side: 'server' | 'client') {
    super(
      `no per-connection metadata in the context: put metadata${side === 'server' ? 'Server' : 'Client'}() ` +
        'in the chain after updatepath and before the elements that keep per-connection state',
      Code.INTERNAL,
    );
  }
}

export const metadataRecordKey = contextKey<MetadataRecord>('metadata.record');

/** The per-connection map of server elements (timeout, monitor, …) for the connection being handled. */
export function serverMetadata(ctx: Context): MetadataMap {
  const record = ctx.value(metadataRecordKey);
  if (record === undefined) throw new MetadataMissingError('server');
  return record.server;
}

/** The per-connection map of client elements (refresh, heal, …) for the connection being handled. */
export function clientMetadata(ctx: Context): MetadataMap {
  const record = ctx.value(metadataRecordKey);
  if (record === undefined) throw new MetadataMissingError('client');
  return record.client;
}
