import { contextKey, type MetadataMap } from '../../core/index.js';
import type { NspTarget } from '../../services/nsp/index.js';

/** The target this element registered for a connection. */
const targetKey = contextKey<NspTarget>('nspRegister.target');

export function loadTarget(metadata: MetadataMap): NspTarget | undefined {
  return metadata.get(targetKey);
}

export function storeTarget(metadata: MetadataMap, target: NspTarget): void {
  metadata.set(targetKey, target);
}

export function takeTarget(metadata: MetadataMap): NspTarget | undefined {
  return metadata.take(targetKey);
}
