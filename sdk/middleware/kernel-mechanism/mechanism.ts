import { type Mechanism, newMechanism } from '../../core/index.js';

/** NSM's mechanism constants (api `mechanisms/cls` and `mechanisms/kernel`). */
export const LOCAL_CLS = 'LOCAL';
export const KERNEL_MECHANISM = 'KERNEL';
/** The network namespace the interface goes into: `inode://<dev>/<ino>` (or an explicit `file://` path). */
export const NETNS_URL_PARAMETER = 'inodeURL';
/** The interface name inside that namespace, at most 15 characters. */
export const INTERFACE_NAME_PARAMETER = 'name';

export function isKernelMechanism(mechanism: Mechanism | null | undefined): mechanism is Mechanism {
  return mechanism?.type === KERNEL_MECHANISM;
}

/** A LOCAL/KERNEL mechanism with the given parameters (empty ones left out). */
export function kernelMechanism(parameters: Record<string, string> = {}): Mechanism {
  const kept = Object.fromEntries(Object.entries(parameters).filter(([, value]) => value !== ''));
  return newMechanism({ cls: LOCAL_CLS, type: KERNEL_MECHANISM, parameters: kept });
}

/** The interface name a KERNEL mechanism carries, or '' when it names none. */
export function interfaceNameOf(mechanism: Mechanism | null | undefined): string {
  return mechanism?.parameters[INTERFACE_NAME_PARAMETER] ?? '';
}

/** The namespace URL a KERNEL mechanism carries, or ''. */
export function netnsUrlOf(mechanism: Mechanism | null | undefined): string {
  return mechanism?.parameters[NETNS_URL_PARAMETER] ?? '';
}
