/** Builders of raw IPv4/IPv6 packets for the parser tests, and a seeded generator of varied ones. */

export type Random = () => number;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

export function ipv4Address(text: string): Uint8Array {
  return new Uint8Array(text.split('.').map(Number));
}

export function ipv6Address(text: string): Uint8Array {
  const [head, tail = ''] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = text.includes('::') ? groups(tail) : [];
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export interface Ipv4Options {
  source: Uint8Array;
  destination: Uint8Array;
  protocol: number;
  payload: Uint8Array;
  options?: Uint8Array; // multiple of 4 bytes, ≤ 40
  fragmentOffset?: number; // in 8-byte units
  moreFragments?: boolean;
  dontFragment?: boolean;
}

export function ipv4(o: Ipv4Options): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  const header = new Uint8Array(20 + options.length);
  header[0] = 0x40 | ((20 + options.length) / 4);
  const total = header.length + o.payload.length;
  header[2] = (total >> 8) & 0xff;
  header[3] = total & 0xff;
  const flags =
    (o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | ((o.fragmentOffset ?? 0) & 0x1fff);
  header[6] = flags >> 8;
  header[7] = flags & 0xff;
  header[8] = 64;
  header[9] = o.protocol;
  header.set(o.source, 12);
  header.set(o.destination, 16);
  header.set(options, 20);
  return concat(header, o.payload);
}

export interface ExtensionHeader {
  type: number; // 0, 43, 60, 135, 139, 140 (8-octet units), 44 (fragment), 51 (AH)
  /** hdr_ext_len for generic headers and AH; ignored for the fragment header. */
  lengthField?: number;
  fragmentOffset?: number;
  moreFragments?: boolean;
}

export interface Ipv6Options {
  source: Uint8Array;
  destination: Uint8Array;
  extensions?: ExtensionHeader[];
  protocol: number;
  payload: Uint8Array;
}

export function ipv6(o: Ipv6Options): Uint8Array {
  const extensions = o.extensions ?? [];
  const chain: Uint8Array[] = [];
  extensions.forEach((extension, i) => {
    const next = i + 1 < extensions.length ? extensions[i + 1].type : o.protocol;
    let bytes: Uint8Array;
    if (extension.type === 44) {
      bytes = new Uint8Array(8);
      const field = ((extension.fragmentOffset ?? 0) << 3) | (extension.moreFragments ? 1 : 0);
      bytes[2] = (field >> 8) & 0xff;
      bytes[3] = field & 0xff;
    } else if (extension.type === 51) {
      const lengthField = extension.lengthField ?? 1;
      bytes = new Uint8Array((lengthField + 2) * 4);
      bytes[1] = lengthField;
    } else {
      const lengthField = extension.lengthField ?? 0;
      bytes = new Uint8Array((lengthField + 1) * 8);
      bytes[1] = lengthField;
    }
    bytes[0] = next;
    chain.push(bytes);
  });
  const body = concat(...chain, o.payload);
  const header = new Uint8Array(40);
  header[0] = 0x60;
  header[4] = (body.length >> 8) & 0xff;
  header[5] = body.length & 0xff;
  header[6] = extensions.length > 0 ? extensions[0].type : o.protocol;
  header[7] = 64;
  header.set(o.source, 8);
  header.set(o.destination, 24);
  return concat(header, body);
}

/** The first bytes of a TCP/UDP/SCTP/DCCP header: ports, then filler. */
export function ports(sourcePort: number, destinationPort: number, length = 8): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes[0] = sourcePort >> 8;
  bytes[1] = sourcePort & 0xff;
  bytes[2] = destinationPort >> 8;
  bytes[3] = destinationPort & 0xff;
  return bytes;
}

/** An ICMP/ICMPv6 message: type, code, checksum, 4 bytes (echo id + sequence, or unused/MTU), body. */
export function icmp(
  type: number,
  code: number,
  rest: number,
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const header = new Uint8Array(8);
  header[0] = type;
  header[1] = code;
  header[4] = (rest >>> 24) & 0xff;
  header[5] = (rest >>> 16) & 0xff;
  header[6] = (rest >>> 8) & 0xff;
  header[7] = rest & 0xff;
  return concat(header, body);
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const integer = (random: Random, below: number): number => Math.floor(random() * below);
/** Random bytes, four per draw (filling byte by byte dominated the fuzz test's time). */
function bytes(random: Random, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const word = Math.floor(random() * 4294967296);
    for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return out;
}

const PROTOCOLS = [6, 6, 17, 17, 132, 136, 33, 47, 50, 0, 255];

/** A structured random packet: the shapes the parser must handle, with random field values. */
export function randomPacket(random: Random, family: 4 | 6 = random() < 0.5 ? 4 : 6, depth = 0): Uint8Array {
  const icmpProtocol = family === 4 ? 1 : 58;
  const protocol = random() < 0.3 ? icmpProtocol : pick(random, PROTOCOLS);
  let payload: Uint8Array;
  if (protocol === icmpProtocol) {
    const types = family === 4 ? [0, 8, 3, 3, 4, 5, 11, 12, 13, 99] : [128, 129, 1, 2, 2, 3, 4, 135, 200];
    const type = pick(random, types);
    const quotesPacket = family === 4 ? [3, 4, 5, 11, 12].includes(type) : type >= 1 && type <= 4;
    const body =
      quotesPacket && depth < 2
        ? randomPacket(random, random() < 0.9 ? family : family === 4 ? 6 : 4, depth + 1)
        : bytes(random, integer(random, 24));
    payload = icmp(type, integer(random, 16), integer(random, 0x100000000), body);
  } else {
    payload = concat(
      ports(integer(random, 65536), integer(random, 65536), 8),
      bytes(random, integer(random, 24)),
    );
  }
  const source = bytes(random, family === 4 ? 4 : 16);
  const destination = bytes(random, family === 4 ? 4 : 16);
  if (family === 4) {
    const fragmentKind = random();
    return ipv4({
      source,
      destination,
      protocol,
      payload,
      options: random() < 0.2 ? bytes(random, 4 * (1 + integer(random, 10))) : undefined,
      moreFragments: fragmentKind < 0.15,
      fragmentOffset: fragmentKind > 0.85 ? 1 + integer(random, 0x1ffe) : 0,
      dontFragment: random() < 0.5,
    });
  }
  const extensions: ExtensionHeader[] = [];
  const count = random() < 0.5 ? 0 : integer(random, 11);
  for (let i = 0; i < count; i++) {
    const type = pick(random, [0, 43, 60, 44, 44, 51, 135, 139, 140]);
    extensions.push({
      type,
      lengthField: type === 51 ? 1 + integer(random, 4) : integer(random, 3),
      fragmentOffset: random() < 0.5 ? 0 : integer(random, 0x2000),
      moreFragments: random() < 0.5,
    });
  }
  return ipv6({ source, destination, extensions, protocol, payload });
}

/** Random bytes, truncations and bit flips on top of structured packets. */
export function fuzzPacket(random: Random): Uint8Array {
  const roll = random();
  if (roll < 0.05) return bytes(random, integer(random, 160));
  let packet = randomPacket(random);
  if (roll < 0.45) packet = packet.slice(0, integer(random, packet.length + 1));
  else if (roll < 0.75) packet = packet.slice(0, Math.min(packet.length, 128)); // the copy range
  if (random() < 0.15) {
    packet = packet.slice();
    for (let flips = 1 + integer(random, 4); flips > 0 && packet.length > 0; flips--) {
      packet[integer(random, packet.length)] ^= 1 << integer(random, 8);
    }
  }
  return packet;
}
