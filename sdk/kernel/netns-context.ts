/**
 * What every operation module needs from a namespace handle: the namespace's name for messages, its
 * file (to open fds on it), and a way to run a request on its netlink socket with errors turned into
 * typed KernelErrors.
 */
import type { RtNetlinkSocket } from 'netlink';

export interface NetnsContext {
  /** The namespace as shown to people: its /run/netns name, or the path it was opened from. */
  readonly label: string;
  /** The file that pins the namespace (/run/netns/<name>, /proc/<pid>/ns/net, …). */
  readonly path: string;
  /**
   * Runs `call` on the namespace's rtnetlink socket. A failure becomes a KernelError whose message says
   * "Cannot <action> in network namespace '<label>': …".
   */
  request<T>(action: string, call: (socket: RtNetlinkSocket) => Promise<T>): Promise<T>;
}

/** Netlink request flags (linux/netlink.h). */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

/** Create, failing with EEXIST when the object exists. */
export const CREATE_EXCLUSIVE = { flags: NLM_F_CREATE | NLM_F_EXCL };
/** Create, or replace the object with the same key. */
export const CREATE_OR_REPLACE = { flags: NLM_F_CREATE | NLM_F_REPLACE };
