import { contextKey, type MetadataMap } from '../../core/index.js';

/** The far end's addresses this element leased for a connection. */
const leaseKey = contextKey<readonly string[]>('ipam.lease');

export function loadLease(metadata: MetadataMap): readonly string[] | undefined {
  return metadata.get(leaseKey);
}

export function storeLease(metadata: MetadataMap, addresses: readonly string[]): void {
  metadata.set(leaseKey, addresses);
}

export function forgetLease(metadata: MetadataMap): void {
  metadata.delete(leaseKey);
}
