/**
 * RTA_MULTIPATH, which the `netlink` package passes as a raw Buffer: a run of struct rtnexthop
 * (u16 length, u8 flags, u8 hops = weight - 1, s32 ifindex), each followed by its own RTA_* attributes
 * (here RTA_GATEWAY) and counted in its length.
 */
import { align4, nla, parseAttributes } from './attributes.js';
import { formatIp } from './ip.js';

const RTNH_HEADER = 8;
const RTA_GATEWAY = 5;
export const RTNH_F_ONLINK = 0x4;

export interface EncodedNexthop {
  readonly linkIndex: number;
  readonly gateway?: Buffer;
  /** 1..256 (the kernel stores weight - 1). */
  readonly weight: number;
  readonly onlink: boolean;
}

export interface NexthopInfo {
  readonly linkIndex: number;
  readonly gateway: string | undefined;
  readonly weight: number;
  readonly onlink: boolean;
}

export function encodeMultipath(nexthops: readonly EncodedNexthop[]): Buffer {
  return Buffer.concat(
    nexthops.map((nexthop) => {
      const attributes = nexthop.gateway === undefined ? Buffer.alloc(0) : nla(RTA_GATEWAY, nexthop.gateway);
      const header = Buffer.alloc(RTNH_HEADER);
      header.writeUInt16LE(RTNH_HEADER + attributes.length, 0);
      header.writeUInt8(nexthop.onlink ? RTNH_F_ONLINK : 0, 2);
      header.writeUInt8(nexthop.weight - 1, 3);
      header.writeInt32LE(nexthop.linkIndex, 4);
      return Buffer.concat([header, attributes]);
    }),
  );
}

export function decodeMultipath(data: Buffer): NexthopInfo[] {
  const out: NexthopInfo[] = [];
  let offset = 0;
  while (offset + RTNH_HEADER <= data.length) {
    const length = data.readUInt16LE(offset);
    if (length < RTNH_HEADER || offset + length > data.length) break;
    const gateway = parseAttributes(data.subarray(offset + RTNH_HEADER, offset + length)).get(RTA_GATEWAY);
    out.push({
      linkIndex: data.readInt32LE(offset + 4),
      gateway: gateway === undefined ? undefined : formatIp(gateway),
      weight: data.readUInt8(offset + 3) + 1,
      onlink: (data.readUInt8(offset + 2) & RTNH_F_ONLINK) !== 0,
    });
    offset += align4(length);
  }
  return out;
}
