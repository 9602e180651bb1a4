import { type Clock, contextKey, type MetadataMap, type TimerHandle } from '../../core/index.js';
import type { NspTarget } from '../../services/nsp/index.js';

/** The server half's record of a connection: the target it registered, if any yet. */
interface Registration {
  target: NspTarget | undefined;
}

const registrationKey = contextKey<Registration>('nspRegister.registration');

/** undefined for a connection this element has not seen (a new one). */
export function loadRegistration(metadata: MetadataMap): Registration | undefined {
  return metadata.get(registrationKey);
}

export function storeRegistration(metadata: MetadataMap, target: NspTarget | undefined): void {
  metadata.set(registrationKey, { target });
}

/** The target registered for the connection, forgetting the connection. */
export function takeRegisteredTarget(metadata: MetadataMap): NspTarget | undefined {
  return metadata.take(registrationKey)?.target;
}

/** The client half's record of a connection: whether the proxy was told the target is ready. */
export interface Announcement {
  announced: boolean;
  /** The ready refresh waiting to run (or to run again), until one succeeds. */
  pending: { readonly clock: Clock; handle: TimerHandle; readonly cancel: AbortController } | undefined;
}

const announcementKey = contextKey<Announcement>('nspRegister.announcement');

export function loadAnnouncement(metadata: MetadataMap): Announcement | undefined {
  return metadata.get(announcementKey);
}

export function storeAnnouncement(metadata: MetadataMap, announcement: Announcement): void {
  metadata.set(announcementKey, announcement);
}

export function takeAnnouncement(metadata: MetadataMap): Announcement | undefined {
  return metadata.take(announcementKey);
}
