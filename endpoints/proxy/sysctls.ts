import type { NetnsHandle } from '../../sdk/kernel/index.js';

/**
 * The proxy's kernel settings (Meridio's proxy init container): it forwards between targets and LBs,
 * hashes multipath symmetrically on the five-tuple (policy 3 with fields 0x37: addresses, protocol,
 * ports — policy 1 would pick LBs at random for some traffic), as the gateway does, so a flow's replies
 * leave through the LB it came in by and that LB's flow pinning sees the whole flow; it skips DAD so IPv6 works at once on new links, and
 * does not drop VIP-sourced packets for lack of a reverse route (the VIPs have no route in main).
 * The `default` values are set before any link is made, so the links made later get them.
 */
export const PROXY_SYSCTLS: Readonly<Record<string, number>> = Object.freeze({
  'net.ipv4.conf.all.forwarding': 1,
  'net.ipv6.conf.all.forwarding': 1,
  'net.ipv4.fib_multipath_hash_policy': 3,
  'net.ipv4.fib_multipath_hash_fields': 0x37,
  'net.ipv6.fib_multipath_hash_policy': 3,
  'net.ipv6.fib_multipath_hash_fields': 0x37,
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
});

export function applySysctls(netns: NetnsHandle, values: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(values)) netns.sysctl.set(key, value);
}
