/**
 * Netlink attributes (struct nlattr: u16 length, u16 type, payload padded to 4 bytes), for the nested
 * attributes the `netlink` package leaves as raw Buffers: IFLA_LINKINFO and RTA_MULTIPATH.
 */

export const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;
const NLA_HEADER = 4;

export function align4(length: number): number {
  return (length + 3) & ~3;
}

/** One attribute: header, payload, zero padding to a multiple of 4. */
export function nla(type: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(align4(NLA_HEADER + payload.length));
  out.writeUInt16LE(NLA_HEADER + payload.length, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, NLA_HEADER);
  return out;
}

export function nlaNested(type: number, children: Buffer[]): Buffer {
  return nla(type | NLA_F_NESTED, Buffer.concat(children));
}

export function nlaString(type: number, value: string): Buffer {
  return nla(type, Buffer.from(`${value}\0`));
}

export function nlaU32(type: number, value: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32LE(value >>> 0, 0);
  return nla(type, payload);
}

export function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0, 0);
  return out;
}

export function readU32(buffer: Buffer | undefined): number | undefined {
  return buffer !== undefined && buffer.length >= 4 ? buffer.readUInt32LE(0) : undefined;
}

/** Splits a run of attributes into type → payload (flags bits masked off; the last of a type wins). */
export function parseAttributes(data: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let offset = 0;
  while (offset + NLA_HEADER <= data.length) {
    const length = data.readUInt16LE(offset);
    if (length < NLA_HEADER || offset + length > data.length) break;
    out.set(
      data.readUInt16LE(offset + 2) & NLA_TYPE_MASK,
      data.subarray(offset + NLA_HEADER, offset + length),
    );
    offset += align4(length);
  }
  return out;
}

/** A NUL-terminated string payload. */
export function readString(payload: Buffer | undefined): string | undefined {
  if (payload === undefined) return undefined;
  const end = payload.indexOf(0);
  return payload.subarray(0, end < 0 ? payload.length : end).toString();
}
