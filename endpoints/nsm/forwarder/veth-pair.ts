/**
 * The veth pair of one connection: the client's end (named by the client's KERNEL mechanism) in the
 * client's namespace, the endpoint's end (named by the endpoint's) in the endpoint's namespace. A pair
 * that already exists under those names (made before a forwarder restart) is adopted, not made again;
 * anything else under the client's name is an error, never deleted. A pair made here gets the MACs
 * given for its ends; an adopted pair keeps the ones it has (changing them would make peers' neighbour
 * entries stale, which is what stable MACs avoid).
 */
import { AlreadyExistsError } from '../../../sdk/core/index.js';
import type { LinkInfo, NetnsHandle } from '../../../sdk/kernel/index.js';

export interface VethEnd {
  readonly netns: NetnsHandle;
  readonly name: string;
  /** The MAC a new end gets (an adopted pair keeps its own); default: one the kernel picks. */
  readonly mac?: string;
}

export interface VethPair {
  readonly client: VethEnd;
  readonly endpoint: VethEnd;
  /** The client end's index, to tell our link from a later one of the same name. */
  readonly clientIndex: number;
  /** The endpoint end's index in its namespace. */
  readonly endpointIndex: number;
  /** True when this call made it, false when it adopted an existing pair. */
  readonly created: boolean;
}

/** A veth's peer index (IFLA_LINK); a link read without its kind may lack it, and a veth always has one. */
function peerOf(link: LinkInfo): number {
  return link.peerIndex ?? link.index;
}

function isPairOf(clientLink: LinkInfo, endpointLink: LinkInfo | undefined): boolean {
  return (
    clientLink.kind === 'veth' &&
    endpointLink !== undefined &&
    endpointLink.kind === 'veth' &&
    peerOf(clientLink) === endpointLink.index &&
    peerOf(endpointLink) === clientLink.index
  );
}

/** Makes (or adopts) the pair, both ends up, with `mtu` when given. */
export async function ensureVethPair(
  client: VethEnd,
  endpoint: VethEnd,
  mtu: number | undefined,
): Promise<VethPair> {
  const existing = await client.netns.links.find(client.name);
  if (existing !== undefined) {
    const peer = await endpoint.netns.links.find(endpoint.name);
    if (!isPairOf(existing, peer)) {
      throw new AlreadyExistsError(
        `the client's interface "${client.name}" already exists in network namespace '${client.netns.label}' and is not a veth paired with "${endpoint.name}" in '${endpoint.netns.label}': choose another interface name`,
      );
    }
    if (mtu !== undefined && existing.mtu !== mtu) {
      await client.netns.links.setMtu(existing.index, mtu);
      await endpoint.netns.links.setMtu(peer!.index, mtu);
    }
    if (!existing.up) await client.netns.links.setUp(existing.index);
    if (!peer!.up) await endpoint.netns.links.setUp(peer!.index);
    return { client, endpoint, clientIndex: existing.index, endpointIndex: peer!.index, created: false };
  }
  const made = await client.netns.links.createVeth({
    name: client.name,
    up: true,
    ...(mtu === undefined ? {} : { mtu }),
    ...(client.mac === undefined ? {} : { mac: client.mac }),
    peer: {
      name: endpoint.name,
      namespace: { path: endpoint.netns.path, label: endpoint.netns.label },
      ...(mtu === undefined ? {} : { mtu }),
      ...(endpoint.mac === undefined ? {} : { mac: endpoint.mac }),
    },
  });
  const endpointIndex = peerOf(made);
  try {
    await endpoint.netns.links.setUp(endpointIndex);
  } catch (error) {
    await client.netns.links.delete(made.index);
    throw error;
  }
  return { client, endpoint, clientIndex: made.index, endpointIndex, created: true };
}

/**
 * Deletes the pair (deleting one end deletes both): through the client's end when it still has its
 * name, else through the endpoint's end when that is still paired with it (the client's end was
 * renamed). False when the pair was already gone.
 */
export async function removeVethPair(pair: VethPair): Promise<boolean> {
  const clientLink = pair.client.netns.closed
    ? undefined
    : await pair.client.netns.links.find(pair.clientIndex);
  if (clientLink !== undefined && clientLink.name === pair.client.name) {
    return pair.client.netns.links.delete(clientLink.index);
  }
  if (pair.endpoint.netns.closed) return false;
  const endpointLink = await pair.endpoint.netns.links.find(pair.endpoint.name);
  if (endpointLink?.kind !== 'veth' || peerOf(endpointLink) !== pair.clientIndex) return false;
  return pair.endpoint.netns.links.delete(endpointLink.index);
}
