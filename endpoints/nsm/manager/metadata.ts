import { contextKey, type MetadataMap } from '../../../sdk/core/index.js';

/** The endpoint the manager chose for a connection. */
const selectedKey = contextKey<string>('selectEndpoint.selected');

export function loadSelected(metadata: MetadataMap): string | undefined {
  return metadata.get(selectedKey);
}

export function storeSelected(metadata: MetadataMap, name: string): void {
  metadata.set(selectedKey, name);
}

export function takeSelected(metadata: MetadataMap): string | undefined {
  return metadata.take(selectedKey);
}
