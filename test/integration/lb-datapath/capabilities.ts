/**
 * Runs a synchronous function with a capability removed from the calling thread's effective set
 * (capabilities are per thread, so libuv's threads are untouched), then raises it again.
 */
import koffi from 'koffi';

export const CAP_NET_ADMIN = 12;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

interface CapabilitySets {
  d: { effective: number; permitted: number; inheritable: number }[];
}
type CapabilityCall = (header: { version: number; pid: number }, sets: CapabilitySets) => number;

let bound: { capget: CapabilityCall; capset: CapabilityCall } | undefined;

function libc(): { capget: CapabilityCall; capset: CapabilityCall } {
  if (bound === undefined) {
    koffi.struct('lbdp_cap_header', { version: 'uint32', pid: 'int' });
    const data = koffi.struct('lbdp_cap_data', {
      effective: 'uint32',
      permitted: 'uint32',
      inheritable: 'uint32',
    });
    koffi.struct('lbdp_cap_sets', { d: koffi.array(data, 2) });
    const lib = koffi.load('libc.so.6');
    bound = {
      capget: lib.func('int capget(lbdp_cap_header *header, _Out_ lbdp_cap_sets *sets)') as CapabilityCall,
      capset: lib.func('int capset(lbdp_cap_header *header, lbdp_cap_sets *sets)') as CapabilityCall,
    };
  }
  return bound;
}

export function withoutCapability<T>(capability: number, work: () => T): T {
  const header = { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
  const original = { d: [] } as CapabilitySets;
  if (libc().capget(header, original) !== 0) throw new Error(`capget failed (errno ${koffi.errno()})`);
  const reduced: CapabilitySets = { d: original.d.map((sets) => ({ ...sets })) };
  reduced.d[capability >> 5].effective &= ~(1 << (capability & 31));
  if (libc().capset(header, reduced) !== 0) throw new Error(`capset failed (errno ${koffi.errno()})`);
  let result: T;
  try {
    result = work();
  } finally {
    // Raised again even when work() threw; a failure here would leave the thread without the capability.
    const restored = libc().capset(header, original) === 0;
    if (!restored) process.emitWarning(`restoring the capabilities failed (errno ${koffi.errno()})`);
  }
  return result;
}
