/**
 * The kernel settings of each kind of namespace, set before any link is made (as kubelet applies a
 * pod's `securityContext.sysctls` before its containers start). Meridio's pods declare the LB's,
 * proxy's and target's (SEED "Privileges"); the gateway is a router hashing multipath by L4.
 *
 * Multipath by L4 is policy 3 with the five-tuple fields rather than policy 1: policy 1 takes a hash
 * the packet already carries (a local socket's random one, which a veth passes on), so the gateway and
 * a proxy would pick LBs at random; policy 3 hashes the packet's own addresses, ports and protocol,
 * symmetrically and with the same host-wide key in every namespace. With the LBs in the same order,
 * a flow's replies then leave through the LB it came in by, and that LB's conntrack sees both
 * directions (flow pinning needs it). See docs/decisions/011-local-mode.md.
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

/** FIB_MULTIPATH_HASH_FIELD_SRC_IP | DST_IP | IP_PROTO | SRC_PORT | DST_PORT. */
const FIVE_TUPLE_FIELDS = 0x37;

const L4_MULTIPATH: Sysctls = {
  'net.ipv4.fib_multipath_hash_policy': 3,
  'net.ipv4.fib_multipath_hash_fields': FIVE_TUPLE_FIELDS,
  'net.ipv6.fib_multipath_hash_policy': 3,
  'net.ipv6.fib_multipath_hash_fields': FIVE_TUPLE_FIELDS,
};

export const SYSCTLS = Object.freeze({
  external: { ...NO_DAD },
  gateway: { ...NO_DAD, ...FORWARDING, ...L4_MULTIPATH },
  lb: { ...NO_DAD, ...FORWARDING, ...L4_MULTIPATH },
  proxy: { ...NO_DAD, ...FORWARDING, ...L4_MULTIPATH },
  target: { ...NO_DAD, ...L4_MULTIPATH },
} satisfies Record<string, Sysctls>);

export type NamespaceKind = keyof typeof SYSCTLS;
