import type { Context } from '../context.js';
import type { Next } from '../element.js';
import { InvalidArgumentError } from '../errors.js';
import type { Connection, NetworkServiceRequest } from '../types.js';
import { MetadataRecord, metadataRecordKey } from './record.js';

/**
 * The records of one metadata element, by connection id. When an outer metadata element already put a
 * record into the context (a server chain continuing into a client chain), that record is used and this
 * element passes through, as in the NSM SDK.
 */
export class MetadataStore {
  private readonly records = new Map<string, MetadataRecord>();

  async request(ctx: Context, request: NetworkServiceRequest, next: Next): Promise<Connection> {
    if (ctx.value(metadataRecordKey) !== undefined) return next.request(ctx, request);
    const id = request.connection?.id ?? '';
    if (id === '') {
      throw new InvalidArgumentError(
        'metadata needs a connection id: put updatepath before metadata in the chain',
      );
    }
    const existing = this.records.get(id);
    const record = existing ?? new MetadataRecord();
    if (existing === undefined) this.records.set(id, record);
    try {
      return await next.request(ctx.withValue(metadataRecordKey, record), request);
    } catch (error) {
      // A connection that was never established keeps nothing; an established one keeps its state
      // through a failed refresh.
      if (existing === undefined && this.records.get(id) === record) this.records.delete(id);
      throw error;
    }
  }

  close(ctx: Context, connection: Connection, next: Next): Promise<void> {
    if (ctx.value(metadataRecordKey) !== undefined) return next.close(ctx, connection);
    // Deleted before the elements after this one clean up, but they still see it through the context.
    const record = this.records.get(connection.id) ?? new MetadataRecord();
    this.records.delete(connection.id);
    return next.close(ctx.withValue(metadataRecordKey, record), connection);
  }

  /** Connections that currently have a record (for tests and diagnostics). */
  get size(): number {
    return this.records.size;
  }
}
