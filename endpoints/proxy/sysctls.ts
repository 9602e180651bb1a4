import type { NetnsHandle } from '../../sdk/kernel/index.js';

/**
 * The proxy's kernel settings (Meridio's proxy init container): it forwards between targets and LBs,
 * hashes multipath by L4 so one flow keeps one LB, skips DAD so IPv6 works at once on new links, and
 * does not drop VIP-sourced packets for lack of a reverse route (the VIPs have no route in main).
 * The `default` values are set before any link is made, so the links made later get them.
 */
export const PROXY_SYSCTLS: Readonly<Record<string, number>> = Object.freeze({
  'net.ipv4.conf.all.forwarding': 1,
  'net.ipv6.conf.all.forwarding': 1,
  'net.ipv4.fib_multipath_hash_policy': 1,
  'net.ipv6.fib_multipath_hash_policy': 1,
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
});

export function applySysctls(netns: NetnsHandle, values: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(values)) netns.sysctl.set(key, value);
}
