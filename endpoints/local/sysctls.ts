/**
 * The kernel settings of each kind of namespace, set before any link is made (as kubelet applies a
 * pod's `securityContext.sysctls` before its containers start). Meridio's pods declare the LB's,
 * proxy's and target's (SEED "Privileges"); the gateway is a router hashing multipath by L4.
 */
type Sysctls = Readonly<Record<string, number>>;

/** Every namespace: IPv6 addresses usable at once on new links (no duplicate address detection). */
const NO_DAD: Sysctls = { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 };

const FORWARDING: Sysctls = {
  'net.ipv4.conf.all.forwarding': 1,
  'net.ipv6.conf.all.forwarding': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
};

const L4_MULTIPATH: Sysctls = {
  'net.ipv4.fib_multipath_hash_policy': 1,
  'net.ipv6.fib_multipath_hash_policy': 1,
};

export const SYSCTLS = Object.freeze({
  external: { ...NO_DAD },
  gateway: { ...NO_DAD, ...FORWARDING, ...L4_MULTIPATH },
  lb: { ...NO_DAD, ...FORWARDING, ...L4_MULTIPATH },
  proxy: { ...NO_DAD, ...FORWARDING, ...L4_MULTIPATH },
  target: { ...NO_DAD, ...L4_MULTIPATH },
} satisfies Record<string, Sysctls>);

export type NamespaceKind = keyof typeof SYSCTLS;
