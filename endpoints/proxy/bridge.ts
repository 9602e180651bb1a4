import { createHash } from 'node:crypto';

import type { NetnsHandle } from '../../sdk/kernel/index.js';

export const BRIDGE_NAME = 'bridge0';

/**
 * A locally administered unicast MAC derived from the node's name: the bridge keeps its address across
 * proxy restarts, so the neighbour caches of targets and LBs stay right.
 */
export function bridgeMac(node: string): string {
  const bytes = createHash('sha256').update(`meridio bridge ${node}`).digest().subarray(0, 6);
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/**
 * Makes the bridge (or adopts the one a previous run left, with its ports), with the node's MAC and
 * exactly `addresses` (the subnets' first addresses; IPv6 without DAD), up.
 */
export async function ensureBridge(
  netns: NetnsHandle,
  node: string,
  addresses: readonly string[],
): Promise<void> {
  const bridge = await netns.links.createBridge(BRIDGE_NAME, { existOk: true });
  const mac = bridgeMac(node);
  if (bridge.mac !== mac) await netns.links.setMac(BRIDGE_NAME, mac);
  for (const address of addresses) {
    await netns.addresses.add(BRIDGE_NAME, address, { nodad: address.includes(':') });
  }
  for (const stale of await netns.addresses.list(BRIDGE_NAME)) {
    const linkLocal = stale.family === 6 && stale.address.startsWith('fe80:');
    if (!linkLocal && !addresses.includes(stale.cidr)) await netns.addresses.delete(BRIDGE_NAME, stale.cidr);
  }
  if (!bridge.up) await netns.links.setUp(BRIDGE_NAME);
}

/** Deletes the bridge (its ports are released, not deleted). */
export async function removeBridge(netns: NetnsHandle): Promise<void> {
  await netns.links.delete(BRIDGE_NAME);
}
