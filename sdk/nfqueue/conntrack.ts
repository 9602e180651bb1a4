/**
 * Forgetting pinned flows: the conntrack entries that carry a mark are deleted over ctnetlink (one
 * filtered flush per mark, in one netlink datagram, from the addon on a worker thread). The next packet
 * of such a flow finds no entry, so it has mark 0 and is queued and hashed again.
 *
 * Not the `conntrack` CLI: a process per change costs a fork/exec and, for `-D -m`, a dump plus one
 * delete per entry; the kernel's flush by mark is one message.
 */
import { Code, InvalidArgumentError } from '../core/index.js';
import { NfQueueError, NfQueuePermissionError } from './errors.js';
import { isNativeSetupError, nativeBinding } from './native.js';
import { resolveNetns } from './netns-path.js';

export interface ConntrackDeleteOptions {
  /** In this namespace: a name under /run/netns, or a path to a namespace file. Default: the current one. */
  netns?: string;
}

/** Deletes every conntrack entry (IPv4 and IPv6) whose mark is one of `marks`; resolves once the kernel has. */
export async function deleteConntrackByMarks(
  marks: readonly number[],
  options: ConntrackDeleteOptions = {},
): Promise<void> {
  for (const mark of marks) {
    if (!Number.isInteger(mark) || mark < 1 || mark > 0xffffffff) {
      throw new InvalidArgumentError(
        `A conntrack mark to delete must be an integer from 1 to 4294967295, got ${mark}.`,
      );
    }
  }
  if (marks.length === 0) return;
  const netnsPath = resolveNetns(options.netns);
  try {
    await nativeBinding().deleteConntrackByMarks(netnsPath, Uint32Array.from(new Set(marks)));
  } catch (error) {
    const where =
      options.netns === undefined
        ? 'in the current network namespace'
        : `in network namespace ${options.netns}`;
    if (!isNativeSetupError(error)) {
      throw new NfQueueError(
        `Deleting conntrack entries ${where} failed: ${String(error)}`,
        Code.INTERNAL,
        undefined,
        {
          cause: error,
        },
      );
    }
    const detail = `${error.step} failed with ${error.code}`;
    if (error.code === 'EPERM' || error.code === 'EACCES') {
      throw new NfQueuePermissionError(
        `Deleting conntrack entries ${where} is not permitted (${detail}); it needs CAP_NET_ADMIN.`,
        error.code,
        { cause: error },
      );
    }
    throw new NfQueueError(
      `Deleting the conntrack entries with marks ${marks.join(', ')} ${where} failed (${detail}); ` +
        `the kernel needs nf_conntrack_netlink.`,
      Code.INTERNAL,
      error.code,
      { cause: error },
    );
  }
}
