/**
 * IFLA_LINKINFO payloads, which the `netlink` package takes and returns as raw Buffers: the kind of a
 * new link and, for a veth, its peer (VETH_INFO_PEER = a struct ifinfomsg followed by the peer's own
 * IFLA_* attributes, nested in IFLA_INFO_DATA).
 */
import { nla, nlaNested, nlaString, nlaU32, parseAttributes, readString } from './attributes.js';

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_NET_NS_FD = 28;

const IFINFOMSG_LENGTH = 16;

export interface VethPeerAttributes {
  name: string;
  /** An open fd on the namespace to create the peer in; the peer stays beside the link otherwise. */
  namespaceFd?: number;
  mtu?: number;
  mac?: Buffer;
}

/** IFLA_LINKINFO payload for a plain link of `kind` (bridge, …). */
export function linkInfoOfKind(kind: string): Buffer {
  return nlaString(IFLA_INFO_KIND, kind);
}

/** IFLA_LINKINFO payload for a veth pair whose other end is `peer`. */
export function vethLinkInfo(peer: VethPeerAttributes): Buffer {
  // An all-zero ifinfomsg: the peer cannot be brought up here (the kernel opens it before the pair is
  // linked and answers ENOTCONN), so it is set up afterwards from its own namespace.
  const header = Buffer.alloc(IFINFOMSG_LENGTH);
  const attributes = [nlaString(IFLA_IFNAME, peer.name)];
  if (peer.namespaceFd !== undefined) attributes.push(nlaU32(IFLA_NET_NS_FD, peer.namespaceFd));
  if (peer.mtu !== undefined) attributes.push(nlaU32(IFLA_MTU, peer.mtu));
  if (peer.mac !== undefined) attributes.push(nla(IFLA_ADDRESS, peer.mac));
  const peerInfo = nla(VETH_INFO_PEER, Buffer.concat([header, ...attributes]));
  return Buffer.concat([linkInfoOfKind('veth'), nlaNested(IFLA_INFO_DATA, [peerInfo])]);
}

/** The kind (`veth`, `bridge`, …) in an IFLA_LINKINFO payload, if any. */
export function kindOf(linkinfo: Buffer | undefined): string | undefined {
  if (linkinfo === undefined) return undefined;
  return readString(parseAttributes(linkinfo).get(IFLA_INFO_KIND));
}
