import { contextKey, type Mechanism, type MetadataMap } from '../../../sdk/core/index.js';
import type { AppliedEnd } from './apply-plan.js';
import type { NamespaceLease } from './namespace-handles.js';
import type { VethPair } from './veth-pair.js';

/** Everything the forwarder holds for one connection. */
export interface ForwardedConnection {
  readonly endpointName: string;
  readonly endpointUrl: string;
  /** The mechanism the endpoint chose (sent back to it on refresh and close). */
  readonly endpointMechanism: Mechanism;
  readonly clientNetns: NamespaceLease;
  readonly endpointNetns: NamespaceLease;
  readonly pair: VethPair;
  readonly client: AppliedEnd;
  readonly endpoint: AppliedEnd;
}

const forwardedKey = contextKey<ForwardedConnection>('kernelForwarder.connection');

export function loadForwarded(metadata: MetadataMap): ForwardedConnection | undefined {
  return metadata.get(forwardedKey);
}

export function storeForwarded(metadata: MetadataMap, forwarded: ForwardedConnection): void {
  metadata.set(forwardedKey, forwarded);
}

export function takeForwarded(metadata: MetadataMap): ForwardedConnection | undefined {
  return metadata.take(forwardedKey);
}

/** The URL of the endpoint the rest of the forwarder's chain (the gRPC client tail) calls. */
export const endpointUrlKey = contextKey<string>('kernelForwarder.endpointUrl');
