/**
 * What the NSP's gRPC service and its clients agree on beyond nsp.proto. The Monitor stream of this
 * NSP sends, in its response headers, how many of the first messages are the snapshot of registered
 * targets; a watcher needs that boundary to find targets that vanished while it was disconnected.
 * Older peers ignore the header, so the wire stays compatible with upstream Meridio.
 */
import type { Target } from '../../../proto/gen/nsp/Target.js';
import type { NspTarget } from './target.js';

export const SNAPSHOT_SIZE_HEADER = 'x-meridio-snapshot-size';

export const NSP_SERVICE_NAME = 'nsp.NetworkServicePlateformService';

export type TargetStatus = 'Register' | 'Unregister';

/** A change of the registry as the Monitor stream carries it. */
export interface TargetEvent {
  readonly status: TargetStatus;
  readonly target: NspTarget;
}

export function toWireTarget(target: NspTarget, status: TargetStatus = 'Register'): Target {
  return { ips: [...target.ips], context: { ...target.context }, status };
}
