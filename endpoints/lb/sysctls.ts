import type { NetnsHandle } from '../../sdk/kernel/index.js';

/**
 * The LB's kernel settings (Meridio's LB init container): it forwards VIP traffic to the targets in both
 * families, hashes multipath by L4, and does not drop packets whose source it would not route back the
 * same way (VIP traffic enters from the gateway and replies return through the proxies). The `default`
 * values cover the NSM interfaces made later.
 */
export const LB_SYSCTLS: Readonly<Record<string, number>> = Object.freeze({
  'net.ipv4.conf.all.forwarding': 1,
  'net.ipv6.conf.all.forwarding': 1,
  'net.ipv4.fib_multipath_hash_policy': 1,
  'net.ipv6.fib_multipath_hash_policy': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
});

export function applySysctls(netns: NetnsHandle, values: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(values)) netns.sysctl.set(key, value);
}
