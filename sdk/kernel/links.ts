/**
 * Links in one namespace: veth pairs and bridges (created here, removed by `delete`), and the changes
 * made to any link (master, namespace, name, up/down, MTU, MAC). A link is named by its name or index.
 */
import type { RtNetlinkSocket, ifla, rt } from 'netlink';
import { readU32 } from './attributes.js';
import { KernelExistsError, KernelInvalidArgumentError, isNotFound } from './errors.js';
import { kindOf, linkInfoOfKind, vethLinkInfo } from './linkinfo.js';
import { checkInterfaceName, describeLink, type LinkRef } from './link-names.js';
import { formatMac, parseMac } from './mac.js';
import { resolveTarget, withNamespaceFd, type NamespaceTarget } from './namespace-target.js';
import { CREATE_EXCLUSIVE, type NetnsContext } from './netns-context.js';

export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';

const OPER_STATES: readonly OperState[] = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
];

export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  /** `veth`, `bridge`, … (undefined for links without a kind, such as `lo`). */
  readonly kind: string | undefined;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** The carrier is up (IFF_LOWER_UP): for a veth, both ends are up. */
  readonly lowerUp: boolean;
  readonly operState: OperState;
  readonly mtu: number;
  readonly mac: string | undefined;
  /** The index of the bridge (or other master) this link is a port of. */
  readonly masterIndex: number | undefined;
  /** For a veth, the peer's index (in the peer's own namespace). */
  readonly peerIndex: number | undefined;
}

export interface VethOptions {
  /** This end's name, created in this namespace. */
  name: string;
  mtu?: number;
  mac?: string;
  /**
   * Bring this end up at creation (default false). The peer always starts down: bring it up with
   * `setUp` through its own namespace's handle (the kernel refuses it at creation with ENOTCONN).
   */
  up?: boolean;
  peer: {
    name: string;
    /** Create the peer directly in this namespace (default: beside this end). */
    namespace?: NamespaceTarget;
    mtu?: number;
    mac?: string;
  };
}

export interface BridgeOptions {
  mtu?: number;
  up?: boolean;
  /** Return the existing bridge of that name instead of failing (it must be a bridge). */
  existOk?: boolean;
}

export class Links {
  constructor(private readonly netns: NetnsContext) {}

  /** The link, or KernelNotFoundError naming it and the namespace. */
  async get(link: LinkRef): Promise<LinkInfo> {
    const [message] = await this.netns.request(`read ${describeLink(link)}`, (socket) =>
      socket.getLink(...this.selector(link)),
    );
    return toLinkInfo(message);
  }

  /** The link, or undefined when there is none by that name or index. */
  async find(link: LinkRef): Promise<LinkInfo | undefined> {
    try {
      return await this.get(link);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(): Promise<LinkInfo[]> {
    const messages = await this.netns.request('list links', (socket) => socket.getLinks());
    return messages.map(toLinkInfo).sort((a, b) => a.index - b.index);
  }

  /** The index of a link given by name (an index is returned as is, without a lookup). */
  async indexOf(link: LinkRef): Promise<number> {
    return typeof link === 'number' ? link : (await this.get(link)).index;
  }

  /**
   * Creates a veth pair: `name` here and `peer.name` here or in `peer.namespace`. Returns this end.
   * KernelExistsError when either name is taken. Removed by deleting either end (the other goes too),
   * or by deleting either namespace.
   */
  async createVeth(options: VethOptions): Promise<LinkInfo> {
    const { name, peer } = options;
    checkInterfaceName(name, this.netns.label);
    const target = peer.namespace === undefined ? undefined : resolveTarget(peer.namespace);
    checkInterfaceName(peer.name, target?.label ?? this.netns.label);
    const where = target === undefined ? '' : ` (the peer going to network namespace '${target.label}')`;
    const action = `create veth link '${name}' with peer '${peer.name}'${where}`;
    const create = (namespaceFd?: number): Promise<unknown> =>
      this.netns.request(action, (socket) =>
        socket.newLink(
          upFlags(options.up),
          {
            ifname: name,
            ...this.mtuAndMac(options.mtu, options.mac),
            linkinfo: vethLinkInfo({
              name: peer.name,
              namespaceFd,
              mtu: peer.mtu,
              mac: peer.mac === undefined ? undefined : parseMac(peer.mac, this.netns.label),
            }),
          },
          CREATE_EXCLUSIVE,
        ),
      );
    if (target === undefined) await create();
    else await withNamespaceFd(target, action, this.netns.label, create);
    return this.get(name);
  }

  /** Creates a bridge. Removed by `delete`; its ports are released, not deleted. */
  async createBridge(name: string, options: BridgeOptions = {}): Promise<LinkInfo> {
    checkInterfaceName(name, this.netns.label);
    if (options.existOk) {
      const existing = await this.find(name);
      if (existing !== undefined) {
        if (existing.kind === 'bridge') return existing;
        throw new KernelExistsError(
          `Cannot create bridge '${name}' in network namespace '${this.netns.label}': a ${existing.kind ?? 'non-bridge'} link has that name.`,
          { namespace: this.netns.label, errno: 'EEXIST' },
        );
      }
    }
    await this.netns.request(`create bridge '${name}'`, (socket) =>
      socket.newLink(
        upFlags(options.up),
        { ifname: name, ...this.mtuAndMac(options.mtu, undefined), linkinfo: linkInfoOfKind('bridge') },
        CREATE_EXCLUSIVE,
      ),
    );
    return this.get(name);
  }

  /**
   * Makes `link` a port of `master` (a bridge). Undone by `setNoMaster`. KernelBusyError when the link
   * is already claimed by something else (e.g. it carries a macvlan).
   */
  async setMaster(link: LinkRef, master: LinkRef): Promise<void> {
    const masterIndex = await this.indexOf(master);
    await this.set(link, `attach ${describeLink(link)} to ${describeLink(master)}`, { master: masterIndex });
  }

  /** Releases `link` from its master (no-op when it has none). */
  async setNoMaster(link: LinkRef): Promise<void> {
    await this.set(link, `release ${describeLink(link)} from its master`, { master: 0 });
  }

  /**
   * Moves `link` into another namespace (it goes down and loses its addresses there, as with
   * `ip link set … netns`). From then on it is managed through that namespace's handle.
   */
  async moveTo(link: LinkRef, namespace: NamespaceTarget): Promise<void> {
    const target = resolveTarget(namespace);
    const action = `move ${describeLink(link)} to network namespace '${target.label}'`;
    const index = await this.indexOf(link);
    await withNamespaceFd(target, action, this.netns.label, (fd) =>
      this.netns.request(action, (socket) => socket.setLink({ index }, { netNsFd: fd })),
    );
  }

  /** Renames a link (this kernel allows it while the link is up). KernelExistsError if the name is taken. */
  async rename(link: LinkRef, newName: string): Promise<void> {
    checkInterfaceName(newName, this.netns.label);
    await this.set(link, `rename ${describeLink(link)} to '${newName}'`, { ifname: newName });
  }

  async setUp(link: LinkRef): Promise<void> {
    await this.setFlags(link, true);
  }

  async setDown(link: LinkRef): Promise<void> {
    await this.setFlags(link, false);
  }

  async setMtu(link: LinkRef, mtu: number): Promise<void> {
    await this.set(link, `set the MTU of ${describeLink(link)} to ${mtu}`, this.mtuAndMac(mtu, undefined));
  }

  async setMac(link: LinkRef, mac: string): Promise<void> {
    await this.set(
      link,
      `set the MAC address of ${describeLink(link)} to ${mac}`,
      this.mtuAndMac(undefined, mac),
    );
  }

  /**
   * Deletes a link (for a veth, both ends). Returns false when there was no such link: deleting twice
   * is safe.
   */
  async delete(link: LinkRef): Promise<boolean> {
    try {
      await this.netns.request(`delete ${describeLink(link)}`, (socket) =>
        socket.delLink(...this.selector(link)),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async setFlags(link: LinkRef, up: boolean): Promise<void> {
    const index = await this.indexOf(link);
    await this.netns.request(`set ${describeLink(link)} ${up ? 'up' : 'down'}`, (socket) =>
      socket.setLink({ index, flags: up ? { up: true } : {}, change: { up: true } }),
    );
  }

  private async set(link: LinkRef, action: string, attrs: ifla.LinkAttrs): Promise<void> {
    const index = await this.indexOf(link);
    await this.netns.request(action, (socket) => socket.setLink({ index }, attrs));
  }

  private selector(link: LinkRef): Parameters<RtNetlinkSocket['getLink']> {
    if (typeof link === 'number') return [{ index: link }];
    return [{}, { ifname: checkInterfaceName(link, this.netns.label) }];
  }

  private mtuAndMac(mtu: number | undefined, mac: string | undefined): ifla.LinkAttrs {
    const attrs: ifla.LinkAttrs = {};
    if (mtu !== undefined) {
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
        throw new KernelInvalidArgumentError(
          `The MTU ${mtu} is invalid in network namespace '${this.netns.label}': use an integer from 68 to 65535.`,
          { namespace: this.netns.label },
        );
      }
      attrs.mtu = mtu;
    }
    if (mac !== undefined) attrs.address = parseMac(mac, this.netns.label);
    return attrs;
  }
}

function upFlags(up: boolean | undefined): rt.Link {
  return up ? { flags: { up: true }, change: { up: true } } : {};
}

export function toLinkInfo(message: rt.LinkMessage): LinkInfo {
  const { data, attrs } = message;
  const index = data.index ?? 0;
  const peer = readU32(attrs.link);
  const kind = kindOf(attrs.linkinfo);
  return {
    index,
    name: attrs.ifname ?? '',
    kind,
    up: data.flags?.up === true,
    lowerUp: data.flags?.lowerUp === true,
    operState: OPER_STATES[attrs.operstate ?? 0] ?? 'unknown',
    mtu: attrs.mtu ?? 0,
    mac: attrs.address === undefined ? undefined : formatMac(attrs.address),
    masterIndex: attrs.master === undefined || attrs.master === 0 ? undefined : attrs.master,
    // A plain device reports its own index as IFLA_LINK; a veth's peer, living in another namespace,
    // can have the same index as this end, so for veths the value always stands.
    peerIndex: peer === undefined || (peer === index && kind !== 'veth') ? undefined : peer,
  };
}
