/**
 * Opening an rtnetlink socket that belongs to a given namespace: the `netlink` package creates its
 * socket synchronously on the calling thread, so creating it inside `runInNetns` binds it to that
 * namespace for good (KERNEL.md §3). The socket is closed by `socket.socket.close()`.
 */
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { namespaceError } from './errors.js';
import { runInNetns } from './thread-netns.js';

export interface NetnsSocketOptions {
  /** Keep the event loop alive while the socket is open (for event subscriptions). Default false. */
  ref?: boolean;
  /** SO_RCVBUF in bytes (bigger for event subscriptions, so bursts are not dropped). */
  recvBufferSize?: number;
  /** Called with socket-level errors (ENOBUFS, …) that would otherwise crash the process. */
  onError: (error: Error & { code?: string }) => void;
}

export function openNetnsSocket(path: string, label: string, options: NetnsSocketOptions): RtNetlinkSocket {
  const socketOptions = { ref: options.ref ?? false, recvBufferSize: options.recvBufferSize } as Parameters<
    typeof createRtNetlink
  >[0];
  let socket: RtNetlinkSocket;
  try {
    socket = runInNetns(path, label, () => createRtNetlink(socketOptions));
  } catch (error) {
    throw namespaceError(error, 'open a netlink socket in', label);
  }
  socket.socket.on('error', options.onError);
  return socket;
}
