/**
 * Routes in one namespace: unicast via a gateway and/or device (with `onlink`, a preferred source,
 * a metric), multipath (ECMP, RTA_MULTIPATH encoded in multipath.ts), and the drop kinds (blackhole,
 * unreachable, prohibit), in any table. `replace` is idempotent; `add` fails on an existing route;
 * `delete` of an absent route returns false. Routes also disappear with their device.
 */
import { rt } from 'netlink';
import { u32 } from './attributes.js';
import { enumNumber } from './enums.js';
import { KernelInvalidArgumentError, isNotFound } from './errors.js';
import {
  addressFamily,
  formatIp,
  formatPrefix,
  ipFamilyOf,
  networkOf,
  parseIp,
  parsePrefix,
  type IpAddress,
  type IpFamily,
  type IpPrefix,
} from './ip.js';
import { describeLink, type LinkRef } from './link-names.js';
import type { Links } from './links.js';
import {
  RTNH_F_ONLINK,
  decodeMultipath,
  encodeMultipath,
  type EncodedNexthop,
  type NexthopInfo,
} from './multipath.js';
import { CREATE_EXCLUSIVE, CREATE_OR_REPLACE, type NetnsContext } from './netns-context.js';

export const MAIN_TABLE = 254;
export const LOCAL_TABLE = 255;

export type RouteType =
  'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'other';

const ROUTE_TYPE_NUMBERS: Record<Exclude<RouteType, 'other'>, number> = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
};

const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
const RTPROT_STATIC = 4;
const COMPAT_TABLE = 252;

export interface NexthopSpec {
  gateway?: string;
  device?: LinkRef;
  /** 1..256, default 1. */
  weight?: number;
  onlink?: boolean;
}

export interface RouteSpec {
  /** A prefix (`10.0.0.0/24`, `fd00::/64`, a bare address = host route) or `default`. */
  destination: string;
  /** Needed only for `default` when no gateway, source or nexthop gives the family. */
  family?: IpFamily;
  /** Routing table id (default 254, main). */
  table?: number;
  /** Default `unicast`; `blackhole` drops silently (the LB keeps one per VIP). */
  type?: Exclude<RouteType, 'other' | 'local' | 'broadcast'>;
  gateway?: string;
  device?: LinkRef;
  /** Use the gateway even if no address of the device covers it (needs `device`). */
  onlink?: boolean;
  /** Preferred source address (`src` in iproute2). */
  source?: string;
  /** Route priority (`metric`). */
  metric?: number;
  /** Several nexthops (ECMP). Exclusive with `gateway` and `device`. */
  nexthops?: NexthopSpec[];
}

export interface RouteInfo {
  readonly family: IpFamily;
  /** A prefix, or `default`. */
  readonly destination: string;
  readonly table: number;
  readonly type: RouteType;
  readonly gateway: string | undefined;
  readonly linkIndex: number | undefined;
  readonly source: string | undefined;
  readonly metric: number | undefined;
  readonly onlink: boolean;
  readonly scope: number;
  readonly protocol: number;
  /** For a multipath route, its nexthops (empty otherwise). */
  readonly nexthops: readonly NexthopInfo[];
}

export interface RouteListOptions {
  /** Only this table (default: every table). */
  table?: number;
  /** Only this family (default: both). */
  family?: IpFamily;
}

export interface RouteLookupOptions {
  /** The packet's fwmark (`ip route get … mark X`), to see policy rules at work. */
  mark?: number;
  /** The packet's source address (`from`). */
  source?: string;
}

export class Routes {
  constructor(
    private readonly netns: NetnsContext,
    private readonly links: Links,
  ) {}

  /** Adds a route; KernelExistsError when a route with the same key is there. Removed by `delete`. */
  async add(spec: RouteSpec): Promise<void> {
    const [data, attrs] = await this.encode(spec, false);
    await this.netns.request(`add route ${describeRoute(spec)}`, (socket) =>
      socket.newRoute(data, attrs, CREATE_EXCLUSIVE),
    );
  }

  /** Adds the route, or replaces the route with the same destination, table and metric. Removed by `delete`. */
  async replace(spec: RouteSpec): Promise<void> {
    const [data, attrs] = await this.encode(spec, false);
    await this.netns.request(`replace route ${describeRoute(spec)}`, (socket) =>
      socket.newRoute(data, attrs, CREATE_OR_REPLACE),
    );
  }

  /**
   * Deletes the first route matching `spec` (destination and table, plus gateway, device, type, source
   * and metric where given). Returns false when none matched, also when a given device is gone (its
   * routes went with it).
   */
  async delete(spec: RouteSpec): Promise<boolean> {
    try {
      const [data, attrs] = await this.encode(spec, true);
      await this.netns.request(`delete route ${describeRoute(spec)}`, (socket) =>
        socket.delRoute(data, attrs),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The routes of one table (or all), without the kernel's cached clones. */
  async list(options: RouteListOptions = {}): Promise<RouteInfo[]> {
    const what = options.table === undefined ? 'list routes' : `list the routes of table ${options.table}`;
    const messages = await this.netns.request(what, (socket) =>
      socket.getRoutes(options.family === undefined ? {} : { family: addressFamily(options.family) }),
    );
    return messages
      .filter((message) => message.data.flags?.cloned !== true)
      .map(toRouteInfo)
      .filter((route) => options.table === undefined || route.table === options.table)
      .filter((route) => options.family === undefined || route.family === options.family);
  }

  /**
   * The route the kernel would use for a packet to `destination` (`ip route get`), with the table it
   * was found in. A `source` must be a local address of the namespace (else KernelUnreachableError).
   */
  async lookup(destination: string, options: RouteLookupOptions = {}): Promise<RouteInfo> {
    const address = parseIp(destination, 'destination', this.netns.label);
    const attrs: rt.RouteAttrs = { dst: address.bytes };
    if (options.mark !== undefined) attrs.mark = u32(options.mark);
    if (options.source !== undefined) attrs.src = this.sameFamily(address, options.source, 'source').bytes;
    const family = addressFamily(address.family);
    const [message] = await this.netns.request(`look up the route to ${address.text}`, (socket) =>
      socket.getRoute(
        {
          family,
          dstLen: address.bytes.length * 8,
          srcLen: attrs.src === undefined ? 0 : address.bytes.length * 8,
          // Report the table the route was found in (RTM_F_LOOKUP_TABLE), not `main`.
          flags: { lookupTable: true },
        },
        attrs,
      ),
    );
    return toRouteInfo(message);
  }

  private async encode(spec: RouteSpec, forDelete: boolean): Promise<[rt.Route, rt.RouteAttrs]> {
    const destination = this.destinationOf(spec);
    const family = destination.address.family;
    const table = spec.table ?? MAIN_TABLE;
    const type = spec.type ?? 'unicast';
    if (spec.nexthops !== undefined && (spec.gateway !== undefined || spec.device !== undefined)) {
      throw this.invalid(spec, 'give either nexthops or gateway/device, not both');
    }
    if (spec.nexthops !== undefined && spec.nexthops.length === 0)
      throw this.invalid(spec, 'nexthops is empty');
    if (type !== 'unicast' && (spec.gateway !== undefined || spec.device !== undefined || spec.nexthops)) {
      throw this.invalid(spec, `a ${type} route has no gateway, device or nexthops`);
    }
    if (spec.onlink && spec.device === undefined) throw this.invalid(spec, 'onlink needs a device');

    const attrs: rt.RouteAttrs = { table };
    if (destination.length > 0) attrs.dst = destination.address.bytes;
    if (spec.gateway !== undefined)
      attrs.gateway = this.sameFamily(destination.address, spec.gateway, 'gateway').bytes;
    if (spec.device !== undefined) attrs.oif = await this.links.indexOf(spec.device);
    if (spec.source !== undefined)
      attrs.prefsrc = this.sameFamily(destination.address, spec.source, 'source').bytes;
    if (spec.metric !== undefined) attrs.priority = spec.metric;
    if (spec.nexthops !== undefined)
      attrs.multipath = encodeMultipath(await this.nexthops(spec, destination));

    const direct = type === 'unicast' && spec.gateway === undefined && spec.nexthops === undefined;
    const data: rt.Route = {
      family: addressFamily(family),
      dstLen: destination.length,
      table: table < 256 ? table : COMPAT_TABLE,
      scope: forDelete ? RT_SCOPE_NOWHERE : direct ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
      flags: spec.onlink ? { __unknown: RTNH_F_ONLINK } : {},
    };
    if (!forDelete) data.protocol = RTPROT_STATIC;
    if (!forDelete || spec.type !== undefined) data.type = ROUTE_TYPE_NUMBERS[type];
    return [data, attrs];
  }

  private async nexthops(spec: RouteSpec, destination: IpPrefix): Promise<EncodedNexthop[]> {
    const out: EncodedNexthop[] = [];
    for (const nexthop of spec.nexthops ?? []) {
      const weight = nexthop.weight ?? 1;
      if (!Number.isInteger(weight) || weight < 1 || weight > 256) {
        throw this.invalid(spec, `nexthop weight ${weight} is not an integer from 1 to 256`);
      }
      if (nexthop.gateway === undefined && nexthop.device === undefined) {
        throw this.invalid(spec, 'every nexthop needs a gateway or a device');
      }
      out.push({
        linkIndex: nexthop.device === undefined ? 0 : await this.links.indexOf(nexthop.device),
        gateway:
          nexthop.gateway === undefined
            ? undefined
            : this.sameFamily(destination.address, nexthop.gateway, 'nexthop gateway').bytes,
        weight,
        onlink: nexthop.onlink === true,
      });
    }
    return out;
  }

  private destinationOf(spec: RouteSpec): IpPrefix {
    if (spec.destination !== 'default') {
      return networkOf(parsePrefix(spec.destination, 'route destination', this.netns.label));
    }
    const hint = spec.gateway ?? spec.source ?? spec.nexthops?.find((nexthop) => nexthop.gateway)?.gateway;
    const family =
      spec.family ?? (hint === undefined ? undefined : parseIp(hint, 'gateway', this.netns.label).family);
    if (family === undefined)
      throw this.invalid(spec, 'a default route needs a family, a gateway or a source');
    return { address: parseIp(family === 4 ? '0.0.0.0' : '::'), length: 0 };
  }

  private sameFamily(destination: IpAddress, text: string, role: string): IpAddress {
    const address = parseIp(text, role, this.netns.label);
    if (address.family !== destination.family) {
      throw new KernelInvalidArgumentError(
        `The ${role} ${text} is IPv${address.family} but the route is IPv${destination.family} ` +
          `in network namespace '${this.netns.label}'.`,
        { namespace: this.netns.label },
      );
    }
    return address;
  }

  private invalid(spec: RouteSpec, reason: string): KernelInvalidArgumentError {
    return new KernelInvalidArgumentError(
      `The route ${describeRoute(spec)} in network namespace '${this.netns.label}' is invalid: ${reason}.`,
      { namespace: this.netns.label },
    );
  }
}

function describeRoute(spec: RouteSpec): string {
  const parts = [
    spec.type !== undefined && spec.type !== 'unicast'
      ? `${spec.type} ${spec.destination}`
      : spec.destination,
  ];
  if (spec.gateway !== undefined) parts.push(`via ${spec.gateway}`);
  if (spec.device !== undefined) parts.push(`dev ${describeLink(spec.device)}`);
  if (spec.nexthops !== undefined) parts.push(`with ${spec.nexthops.length} nexthops`);
  parts.push(`table ${spec.table ?? MAIN_TABLE}`);
  return parts.join(' ');
}

function typeName(type: rt.Route['type']): RouteType {
  const number = enumNumber(rt.RouteType, type);
  const found = Object.entries(ROUTE_TYPE_NUMBERS).find(([, value]) => value === number);
  return (found?.[0] as RouteType | undefined) ?? 'other';
}

export function toRouteInfo(message: rt.RouteMessage): RouteInfo {
  const { data, attrs } = message;
  const family = ipFamilyOf(data.family);
  const dstLen = data.dstLen ?? 0;
  const destination =
    attrs.dst === undefined || dstLen === 0
      ? 'default'
      : formatPrefix({ address: parseIp(formatIp(attrs.dst)), length: dstLen });
  const flags = data.flags?.__unknown ?? 0;
  return {
    family,
    destination,
    table: attrs.table ?? data.table ?? 0,
    type: typeName(data.type),
    gateway: attrs.gateway === undefined ? undefined : formatIp(attrs.gateway),
    linkIndex: attrs.oif,
    source: attrs.prefsrc === undefined ? undefined : formatIp(attrs.prefsrc),
    metric: attrs.priority,
    onlink: (flags & RTNH_F_ONLINK) !== 0,
    scope: enumNumber(rt.RouteScope, data.scope) ?? 0,
    protocol: enumNumber(rt.RouteProtocol, data.protocol) ?? 0,
    nexthops: attrs.multipath === undefined ? [] : decodeMultipath(attrs.multipath),
  };
}
