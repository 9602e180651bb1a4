/**
 * Neighbour (ARP / NDP) entries in one namespace. The LB flushes the entries of a target's IP when the
 * target changes, so a stale MAC address of a previous owner of that IP is not used.
 */
import type { rt } from 'netlink';
import { isNotFound } from './errors.js';
import { addressFamily, formatIp, parseIp } from './ip.js';
import { formatMac } from './mac.js';
import type { NetnsContext } from './netns-context.js';

export interface NeighbourInfo {
  readonly linkIndex: number;
  readonly address: string;
  readonly mac: string | undefined;
  readonly state: string[];
}

export class Neighbours {
  constructor(private readonly netns: NetnsContext) {}

  async list(): Promise<NeighbourInfo[]> {
    const messages = await this.netns.request('list neighbours', (socket) => socket.getNeighbors());
    return messages.filter((message) => message.attrs.dst !== undefined).map(toNeighbourInfo);
  }

  /**
   * Deletes every dynamic neighbour entry for `ip` on any link (like `ip neigh flush to <ip>`:
   * permanent and no-ARP entries are kept). Returns how many were removed; entries that vanish in
   * between are not counted and not an error.
   */
  async flush(ip: string): Promise<number> {
    const address = parseIp(ip, 'neighbour address', this.netns.label);
    const family = addressFamily(address.family);
    const entries = await this.netns.request(`list the neighbours of ${address.text}`, (socket) =>
      socket.getNeighbors({ family }),
    );
    let removed = 0;
    for (const entry of entries) {
      const { dst } = entry.attrs;
      if (dst === undefined || !dst.equals(address.bytes)) continue;
      if (entry.data.state?.permanent || entry.data.state?.noarp) continue;
      try {
        await this.netns.request(`delete the neighbour entry of ${address.text}`, (socket) =>
          socket.delNeighbor({ family, ifindex: entry.data.ifindex }, { dst }),
        );
        removed++;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return removed;
  }
}

function toNeighbourInfo(message: rt.NeighborMessage): NeighbourInfo {
  const { data, attrs } = message;
  const state = Object.entries(data.state ?? {})
    .filter(([key, value]) => key !== '__unknown' && value === true)
    .map(([key]) => key);
  return {
    linkIndex: data.ifindex ?? 0,
    address: formatIp(attrs.dst ?? Buffer.alloc(4)),
    mac: attrs.lladdr === undefined ? undefined : formatMac(attrs.lladdr),
    state,
  };
}
