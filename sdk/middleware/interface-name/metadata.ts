import { contextKey, type MetadataMap } from '../../core/index.js';

/** The name a connection was given, and the namespace it is unique in. */
export interface NameLease {
  readonly namespace: string;
  readonly name: string;
}

const leaseKey = contextKey<NameLease>('interfaceName.lease');

export function loadLease(metadata: MetadataMap): NameLease | undefined {
  return metadata.get(leaseKey);
}

export function storeLease(metadata: MetadataMap, lease: NameLease): void {
  metadata.set(leaseKey, lease);
}

export function takeLease(metadata: MetadataMap): NameLease | undefined {
  return metadata.take(leaseKey);
}
