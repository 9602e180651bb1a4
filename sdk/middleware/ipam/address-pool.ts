import { InvalidArgumentError } from '../../core/index.js';
import { SubnetAddresses } from './subnet-addresses.js';

/**
 * The addresses a proxy hands out: one subnet per family (what the IPAM service gave it), one address
 * of each per connection end it serves or makes. Holders are named by an owner key (one per
 * connection end). Shared by the proxy's server and client IPAM elements, so targets and LBs never get
 * the same address.
 */
export class AddressPool {
  private readonly subnetList: readonly SubnetAddresses[];
  private readonly held = new Map<string, Map<SubnetAddresses, bigint>>();

  /** `subnets`: at most one per family, e.g. `['172.16.3.0/24', 'fd00:0:0:3::/64']`. */
  constructor(subnets: readonly string[]) {
    if (subnets.length === 0) {
      throw new InvalidArgumentError('the proxy needs at least one subnet to hand out addresses from');
    }
    const list = subnets.map((subnet) => new SubnetAddresses(subnet));
    for (const family of [4, 6] as const) {
      const ofFamily = list.filter((subnet) => subnet.family === family);
      if (ofFamily.length > 1) {
        throw new InvalidArgumentError(
          `the proxy got ${ofFamily.length} IPv${family} subnets (${ofFamily.map((s) => s.subnet).join(', ')}); give it one per family`,
        );
      }
    }
    this.subnetList = list;
  }

  /** The subnets, canonical (`172.16.3.0/24`). */
  get subnets(): string[] {
    return this.subnetList.map((subnet) => subnet.subnet);
  }

  /** The bridge's addresses with the subnets' prefix lengths (`172.16.3.1/24`, `fd00:0:0:3::1/64`). */
  get bridgeAddresses(): string[] {
    return this.subnetList.map((subnet) => subnet.bridgeAddress);
  }

  /** Whether `address` (with or without prefix length) lies in one of the subnets. */
  covers(address: string): boolean {
    return this.subnetList.some((subnet) => subnet.covers(address));
  }

  /**
   * One address per subnet for `owner`, as `address/prefixLength`. An address of `wanted` is taken
   * back when it lies in a subnet and is free or already the owner's (a refresh, or a connection that
   * outlived a proxy restart), so the far end keeps its address; otherwise the owner keeps what it
   * holds, or gets a new one. ResourceExhaustedError when a subnet is full (the owner then holds nothing
   * new).
   */
  lease(owner: string, wanted: readonly string[]): string[] {
    const holding = this.held.get(owner) ?? new Map<SubnetAddresses, bigint>();
    // What this call changed, to put back if a later subnet fails.
    const changes: { subnet: SubnetAddresses; added: bigint; replaced: bigint | undefined }[] = [];
    try {
      for (const subnet of this.subnetList) {
        const current = holding.get(subnet);
        const candidates = wanted
          .map((address) => subnet.offsetOf(address))
          .filter((offset): offset is bigint => offset !== undefined);
        if (current !== undefined && (candidates.length === 0 || candidates.includes(current))) continue;
        let added = candidates.find((offset) => subnet.claim(owner, offset));
        if (added === undefined && current !== undefined) continue;
        added ??= subnet.allocate(owner);
        if (current !== undefined) subnet.release(owner, current);
        holding.set(subnet, added);
        changes.push({ subnet, added, replaced: current });
      }
    } catch (error) {
      for (const { subnet, added, replaced } of changes.reverse()) {
        subnet.release(owner, added);
        if (replaced === undefined) holding.delete(subnet);
        else {
          subnet.claim(owner, replaced);
          holding.set(subnet, replaced);
        }
      }
      throw error;
    }
    this.held.set(owner, holding);
    return this.addressesOf(owner);
  }

  /** What `owner` holds now (empty when nothing). */
  addressesOf(owner: string): string[] {
    const holding = this.held.get(owner);
    if (holding === undefined) return [];
    return this.subnetList
      .filter((subnet) => holding.has(subnet))
      .map((subnet) => subnet.cidrOf(holding.get(subnet)!));
  }

  /** Frees everything `owner` holds; unknown owners are ignored. */
  release(owner: string): void {
    const holding = this.held.get(owner);
    if (holding === undefined) return;
    for (const [subnet, offset] of holding) subnet.release(owner, offset);
    this.held.delete(owner);
  }

  /** How many owners hold addresses. */
  get owners(): number {
    return this.held.size;
  }
}
