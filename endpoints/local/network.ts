/**
 * The namespaces of an instance and the external side of its network, through sdk/kernel: the
 * external host and the gateway on one veth, the gateway's bridge with one veth per LB, each LB's
 * default route back through the gateway. Everything lives inside the instance's own namespaces, so
 * deleting them removes every link, address, route and rule it made; the host's namespace is untouched.
 */
import { KernelExistsError, type Kernel, type NetnsHandle } from '../../sdk/kernel/index.js';
import { LocalUsageError } from './errors.js';
import { EXTERNAL_NETWORK as NET, type DualAddress, type LbPlan } from './plan.js';
import type { ResourceRecord } from './resources.js';
import { SYSCTLS, type NamespaceKind } from './sysctls.js';

async function addDual(handle: NetnsHandle, link: string, addresses: DualAddress): Promise<void> {
  await handle.addresses.add(link, `${addresses.ipv4}/${NET.linkPrefix.ipv4}`);
  await handle.addresses.add(link, `${addresses.ipv6}/${NET.linkPrefix.ipv6}`, { nodad: true });
}

async function defaultRoutes(handle: NetnsHandle, via: DualAddress): Promise<void> {
  await handle.routes.replace({ destination: 'default', gateway: via.ipv4 });
  await handle.routes.replace({ destination: 'default', gateway: via.ipv6 });
}

export class LocalNetwork {
  constructor(
    private readonly kernel: Kernel,
    private readonly record: ResourceRecord,
  ) {}

  /**
   * Creates a namespace (recorded first), applies the sysctls of its kind and brings `lo` up.
   * LocalUsageError when a namespace of that name exists already: it is not this instance's to take.
   */
  async createNamespace(name: string, kind: NamespaceKind): Promise<NetnsHandle> {
    if (this.kernel.namespaceExists(name)) {
      throw new LocalUsageError(
        `The network namespace "${name}" exists already: remove it, or choose another --prefix.`,
      );
    }
    this.record.addNamespace(name);
    try {
      this.kernel.createNamespace(name);
    } catch (error) {
      if (error instanceof KernelExistsError) this.record.removeNamespace(name);
      throw error;
    }
    const handle = this.kernel.netns(name);
    for (const [key, value] of Object.entries(SYSCTLS[kind])) handle.sysctl.set(key, value);
    await handle.links.setUp('lo');
    return handle;
  }

  /** The external host and the gateway, linked, with the gateway's (still empty) LB bridge. */
  async createExternalSide(externalNs: string, gatewayNs: string): Promise<void> {
    const external = await this.createNamespace(externalNs, 'external');
    const gateway = await this.createNamespace(gatewayNs, 'gateway');
    await gateway.links.createVeth({
      name: NET.gatewayLink,
      up: true,
      peer: { name: NET.hostLink, namespace: externalNs },
    });
    await external.links.setUp(NET.hostLink);
    await addDual(gateway, NET.gatewayLink, NET.gatewayAddresses);
    await addDual(external, NET.hostLink, NET.hostAddresses);
    await defaultRoutes(external, NET.gatewayAddresses);
    await gateway.links.createBridge(NET.lbBridge, { up: true });
    await addDual(gateway, NET.lbBridge, NET.lbBridgeAddresses);
  }

  /** The LB's namespace and its veth to the gateway's bridge; its default route goes to the gateway. */
  async createLbNamespace(gatewayNs: string, lb: LbPlan): Promise<void> {
    const handle = await this.createNamespace(lb.namespace, 'lb');
    const gateway = this.kernel.netns(gatewayNs);
    await gateway.links.createVeth({
      name: lb.gatewayLink,
      peer: { name: lb.link, namespace: lb.namespace },
    });
    await gateway.links.setMaster(lb.gatewayLink, NET.lbBridge);
    await gateway.links.setUp(lb.gatewayLink);
    await handle.links.setUp(lb.link);
    await addDual(handle, lb.link, lb.addresses);
    await defaultRoutes(handle, NET.lbBridgeAddresses);
  }

  /** Deletes the namespace (and so everything in it); false when it was not there. */
  deleteNamespace(name: string): boolean {
    const deleted = this.kernel.deleteNamespace(name);
    this.record.removeNamespace(name);
    return deleted;
  }

  handle(name: string): NetnsHandle {
    return this.kernel.netns(name);
  }
}
