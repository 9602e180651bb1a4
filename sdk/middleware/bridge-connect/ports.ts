import { KernelNotFoundError, type NetnsHandle } from '../../kernel/index.js';

/** The ports of one bridge: what bridge-connect does to an interface, kept apart from the chain logic. */
export interface BridgePorts {
  /** The bridge's name, for messages. */
  readonly bridge: string;
  /** Makes the interface a port of the bridge and brings it up; nothing to do when it already is. */
  attach(interfaceName: string): Promise<void>;
  /** Releases the interface from the bridge; nothing to do when it is gone or not a port. */
  detach(interfaceName: string): Promise<void>;
}

/** The ports of bridge `bridge` in a network namespace, through the kernel layer. */
export function kernelBridgePorts(netns: NetnsHandle, bridge: string): BridgePorts {
  return {
    bridge,
    async attach(interfaceName) {
      const master = await netns.links.get(bridge);
      const link = await netns.links.get(interfaceName);
      if (link.masterIndex !== master.index) await netns.links.setMaster(link.index, master.index);
      if (!link.up) await netns.links.setUp(link.index);
    },
    async detach(interfaceName) {
      const [master, link] = await Promise.all([netns.links.find(bridge), netns.links.find(interfaceName)]);
      if (link === undefined || master === undefined || link.masterIndex !== master.index) return;
      try {
        await netns.links.setNoMaster(link.index);
      } catch (error) {
        // Gone meanwhile (the forwarder deleted the pair): nothing left to release.
        if (!(error instanceof KernelNotFoundError)) throw error;
      }
    },
  };
}
