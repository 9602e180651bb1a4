/**
 * The four libc calls that Node cannot make by itself, bound once through koffi: entering a network
 * namespace (`setns`), making a new one (`unshare`), and pinning one to a file (`mount`/`umount2`).
 * Every call acts on the calling thread only (network namespaces are per thread), and returns the
 * errno name on failure instead of throwing, so callers can restore state before they raise.
 */
import { getSystemErrorName } from 'node:util';
import koffi from 'koffi';

export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_SHARED = 0x100000;
export const MNT_DETACH = 0x2;

type SetnsCall = (fd: number, nstype: number) => number;
type UnshareCall = (flags: number) => number;
type MountCall = (
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: null,
) => number;
type Umount2Call = (target: string, flags: number) => number;

interface Libc {
  setns: SetnsCall;
  unshare: UnshareCall;
  mount: MountCall;
  umount2: Umount2Call;
}

let bound: Libc | undefined;

function libc(): Libc {
  if (bound === undefined) {
    const lib = koffi.load('libc.so.6');
    bound = {
      setns: lib.func('int setns(int fd, int nstype)') as SetnsCall,
      unshare: lib.func('int unshare(int flags)') as UnshareCall,
      mount: lib.func(
        'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)',
      ) as MountCall,
      umount2: lib.func('int umount2(const char *target, int flags)') as Umount2Call,
    };
  }
  return bound;
}

/** The errno name (`EPERM`, …) of the last failed call, or undefined when the call succeeded. */
function result(returned: number): string | undefined {
  if (returned === 0) return undefined;
  const errno = koffi.errno();
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

/** Moves the calling thread into the network namespace open at `fd`. */
export function setns(fd: number): string | undefined {
  return result(libc().setns(fd, CLONE_NEWNET));
}

/** Moves the calling thread into a brand-new, empty network namespace. */
export function unshareNetwork(): string | undefined {
  return result(libc().unshare(CLONE_NEWNET));
}

export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
): string | undefined {
  return result(libc().mount(source, target, fstype, flags, null));
}

export function umount2(target: string, flags: number): string | undefined {
  return result(libc().umount2(target, flags));
}
