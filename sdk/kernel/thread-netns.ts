/**
 * Running synchronous code with the calling thread inside another network namespace. This is how
 * sockets and /proc/sys files are bound to a namespace without a child process: a netlink socket, and a
 * sysctl file opened under /proc/sys/net, belong to the namespace of the thread that created or opened
 * them, and stay there after the thread moves back. Nothing asynchronous may run inside `fn`: the
 * thread returns to its own namespace before any other JavaScript runs.
 */
import { closeSync, openSync } from 'node:fs';
import { KernelError, KernelInvalidArgumentError, errnoFailure, namespaceError } from './errors.js';
import { setns, unshareNetwork } from './libc.js';
import { Code } from '../core/index.js';

/** The calling thread's own namespace (readable even where /proc/1/ns/net is not). */
export const THREAD_NETNS_PATH = '/proc/thread-self/ns/net';

/**
 * Runs `fn` with the calling thread inside the network namespace pinned at `path` (a /run/netns file or
 * /proc/<pid>/ns/net) and moves the thread back before returning or throwing. `label` names the
 * namespace in error messages.
 */
export function runInNetns<T>(path: string, label: string, fn: () => T): T {
  const target = openNamespaceFile(path, label);
  try {
    return withReturnTicket(label, () => {
      const failed = setns(target);
      if (failed !== undefined) throw namespaceError(errnoFailure(failed), 'enter', label);
      return synchronously(fn, label);
    });
  } finally {
    closeSync(target);
  }
}

/**
 * Runs `fn` with the calling thread inside a new, empty network namespace and moves the thread back
 * afterwards. The namespace lives only as long as something pins it: `fn` must bind-mount it
 * (/proc/thread-self/ns/net) or create a socket in it.
 */
export function runInNewNetns<T>(label: string, fn: () => T): T {
  return withReturnTicket(label, () => {
    const failed = unshareNetwork();
    if (failed !== undefined) throw namespaceError(errnoFailure(failed), 'create', label);
    return synchronously(fn, label);
  });
}

/**
 * Keeps an fd on the thread's current namespace while `fn` runs, and always goes back to it. If going
 * back fails, the thread would silently keep working in the wrong namespace, so that error wins over
 * any error of `fn`.
 */
function withReturnTicket<T>(label: string, fn: () => T): T {
  const original = openNamespaceFile(THREAD_NETNS_PATH, 'current');
  try {
    return fn();
  } finally {
    const failed = setns(original);
    closeSync(original);
    if (failed !== undefined) {
      // eslint-disable-next-line no-unsafe-finally -- staying in the wrong namespace is worse than losing fn's error
      throw new KernelError(
        `Cannot return the thread to its own network namespace after working in '${label}' (${failed}); ` +
          'the process must not continue.',
        Code.INTERNAL,
        { namespace: label, errno: failed },
      );
    }
  }
}

/** Runs `fn`, refusing a promise: its continuation would run after the thread went back. */
function synchronously<T>(fn: () => T, label: string): T {
  const result = fn();
  if (result instanceof Promise) {
    result.catch(() => undefined);
    throw new KernelInvalidArgumentError(
      `Code run inside network namespace '${label}' must be synchronous: an async function would continue ` +
        'after the thread has left the namespace.',
      { namespace: label },
    );
  }
  return result;
}

function openNamespaceFile(path: string, label: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    throw namespaceError(error, 'open', label, path === label ? '' : ` (${path})`);
  }
}
