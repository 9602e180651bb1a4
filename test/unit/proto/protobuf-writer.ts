/**
 * A protobuf writer small enough to check by eye, for wire tests: every byte comes from a field
 * number and a wire type written here, not from the .proto files under test.
 */
export type Bytes = readonly number[];

const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** Base-128 varint; negative int32/int64 values take ten bytes (two's complement on 64 bits). */
export function varint(value: number | bigint): Bytes {
  let rest = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest !== 0n) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0n);
  return out;
}

function key(field: number, wireType: number): Bytes {
  return varint((field << 3) | wireType);
}

/** uint32, int32, int64, uint64 and enum fields. */
export function uint(field: number, value: number | bigint): Bytes {
  return [...key(field, VARINT), ...varint(value)];
}

export function bool(field: number, value: boolean): Bytes {
  return uint(field, value ? 1 : 0);
}

function delimited(field: number, data: Bytes): Bytes {
  return [...key(field, LENGTH_DELIMITED), ...varint(data.length), ...data];
}

export function str(field: number, value: string): Bytes {
  return delimited(field, [...Buffer.from(value, 'utf8')]);
}

/** An embedded message made of the given fields. */
export function msg(field: number, ...fields: Bytes[]): Bytes {
  return delimited(field, fields.flat());
}

/** A map<string, string> field: one entry message (key = 1, value = 2) per pair, in order. */
export function stringMap(field: number, entries: Record<string, string>): Bytes {
  return Object.entries(entries).flatMap(([k, v]) => msg(field, str(1, k), str(2, v)));
}

/** A map<string, Message> entry. */
export function messageMapEntry(field: number, mapKey: string, ...valueFields: Bytes[]): Bytes {
  return msg(field, str(1, mapKey), msg(2, ...valueFields));
}

export function buffer(...fields: Bytes[]): Buffer {
  return Buffer.from(fields.flat());
}
