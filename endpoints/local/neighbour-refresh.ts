/**
 * A stop-gap for re-made connections: when the NSM makes a connection again (a target's, after its
 * proxy or the NSM restarted), the new veth keeps the addresses but gets a new MAC, and nothing
 * announces it. The LBs send to a target's address directly, so they would keep using the old MAC
 * until their neighbour entry expires (up to a minute). The supervisor sees every NSM address of the
 * instance; when one moves to a new MAC, it flushes that address's neighbour entries in the LBs and
 * proxies, which then resolve it afresh. See docs/decisions/011-local-mode.md.
 */
import type { Logger } from 'pino';

import { messageOf } from '../../sdk/core/index.js';
import type { NetnsHandle } from '../../sdk/kernel/index.js';

export interface AddressOwner {
  readonly address: string;
  readonly mac: string;
}

export class NeighbourRefresher {
  private readonly macs = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /**
   * Takes the addresses seen now; flushes, in `peers`, the entries of each address whose MAC changed.
   * Returns the addresses that were flushed.
   */
  async update(seen: readonly AddressOwner[], peers: readonly NetnsHandle[]): Promise<string[]> {
    const moved: string[] = [];
    for (const { address, mac } of seen) {
      const before = this.macs.get(address);
      if (before !== undefined && before !== mac) moved.push(address);
      this.macs.set(address, mac);
    }
    for (const address of moved) {
      let flushed = 0;
      for (const peer of peers) {
        try {
          flushed += await peer.neighbours.flush(address);
        } catch (error) {
          this.logger.debug({ address, netns: peer.label, error: messageOf(error) }, 'cannot flush');
        }
      }
      this.logger.info(
        { address, flushed },
        'an address moved to a new link; its neighbour entries were flushed',
      );
    }
    return moved;
  }
}
