/**
 * An independent TypeScript implementation of the flow key rules of native/flow_key.h, written from
 * the rules (not translated from the C++), used as the oracle of the parser fuzz test.
 */

export interface ReferenceFlow {
  family: 4 | 6;
  source: Uint8Array; // 16 bytes, IPv4-mapped for IPv4
  destination: Uint8Array;
  protocol: number;
  sourcePort: number;
  destinationPort: number;
  fragment: boolean;
  icmpError: boolean;
  truncated: boolean;
}

const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const LENGTH_IN_8_OCTETS = new Set([0, 43, 60, 135, 139, 140]);
const FRAGMENT_HEADER = 44;
const AUTHENTICATION_HEADER = 51;
const MAX_EXTENSION_HEADERS = 8;

function mapped(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];

interface NetworkLayer {
  family: 4 | 6;
  source: Uint8Array;
  destination: Uint8Array;
  protocol: number;
  transportAt: number;
  fragment: boolean;
  /** False when the transport header cannot be located inside the bytes. */
  located: boolean;
}

function networkLayer(b: Uint8Array): NetworkLayer | undefined {
  if (b.length === 0) return undefined;
  const version = b[0] >> 4;
  if (version === 4) {
    const headerBytes = (b[0] & 15) * 4;
    if (b.length < 20 || headerBytes < 20) return undefined;
    const fragmentField = u16(b, 6);
    return {
      family: 4,
      source: mapped(b.slice(12, 16)),
      destination: mapped(b.slice(16, 20)),
      protocol: b[9],
      transportAt: headerBytes,
      fragment: (fragmentField & 0x2000) !== 0 || (fragmentField & 0x1fff) !== 0,
      located: headerBytes <= b.length,
    };
  }
  if (version !== 6 || b.length < 40) return undefined;
  let next = b[6];
  let at = 40;
  let fragment = false;
  let located = true;
  let seen = 0;
  while (LENGTH_IN_8_OCTETS.has(next) || next === FRAGMENT_HEADER || next === AUTHENTICATION_HEADER) {
    if (seen === MAX_EXTENSION_HEADERS || at + 8 > b.length) {
      located = false;
      break;
    }
    seen++;
    const header = next;
    next = b[at];
    if (header === FRAGMENT_HEADER) {
      const offset = u16(b, at + 2) >> 3;
      const more = (u16(b, at + 2) & 1) === 1;
      if (offset !== 0 || more) fragment = true;
      at += 8;
      if (offset !== 0) {
        located = false;
        break;
      }
    } else if (header === AUTHENTICATION_HEADER) {
      at += (b[at + 1] + 2) * 4;
    } else {
      at += (b[at + 1] + 1) * 8;
    }
  }
  if (at > b.length) located = false;
  return {
    family: 6,
    source: b.slice(8, 24),
    destination: b.slice(24, 40),
    protocol: next,
    transportAt: at,
    fragment,
    located,
  };
}

function isEcho(family: 4 | 6, type: number): boolean {
  return family === 4 ? type === 0 || type === 8 : type === 128 || type === 129;
}

function isError(family: 4 | 6, type: number): boolean {
  return family === 4 ? [3, 4, 5, 11, 12].includes(type) : [1, 2, 3, 4].includes(type);
}

export function referenceFlow(b: Uint8Array, followErrors = true): ReferenceFlow | undefined {
  const network = networkLayer(b);
  if (network === undefined) return undefined;
  const flow: ReferenceFlow = {
    family: network.family,
    source: network.source,
    destination: network.destination,
    protocol: network.protocol,
    sourcePort: 0,
    destinationPort: 0,
    fragment: network.fragment,
    icmpError: false,
    truncated: !network.located,
  };
  if (network.fragment || !network.located) return flow;
  const transport = b.subarray(network.transportAt);
  if (PORT_PROTOCOLS.has(network.protocol)) {
    if (transport.length < 4) flow.truncated = true;
    else {
      flow.sourcePort = u16(transport, 0);
      flow.destinationPort = u16(transport, 2);
    }
    return flow;
  }
  const icmpProtocol = network.family === 4 ? 1 : 58;
  if (network.protocol !== icmpProtocol) return flow;
  if (transport.length < 8) {
    flow.truncated = true;
    return flow;
  }
  if (isEcho(network.family, transport[0])) {
    flow.sourcePort = flow.destinationPort = u16(transport, 4);
    return flow;
  }
  if (!followErrors || !isError(network.family, transport[0])) return flow;
  const quoted = transport.subarray(8);
  if (quoted.length === 0 || quoted[0] >> 4 !== network.family) return flow;
  const inner = referenceFlow(quoted, false);
  if (inner === undefined) return flow;
  return {
    ...inner,
    source: inner.destination,
    destination: inner.source,
    sourcePort: inner.destinationPort,
    destinationPort: inner.sourcePort,
    icmpError: true,
  };
}

/** MurmurHash3 x86 32-bit over the ten key words (see native/flow_key.h). */
export function referenceHash(flow: ReferenceFlow | undefined, seed: number): number {
  const words: number[] = [];
  const source = flow?.source ?? new Uint8Array(16);
  const destination = flow?.destination ?? new Uint8Array(16);
  for (const address of [source, destination]) {
    const view = new DataView(address.buffer, address.byteOffset, 16);
    for (let i = 0; i < 4; i++) words.push(view.getUint32(i * 4));
  }
  words.push(flow?.protocol ?? 0);
  words.push((((flow?.sourcePort ?? 0) << 16) | (flow?.destinationPort ?? 0)) >>> 0);
  let h = seed >>> 0;
  for (const word of words) {
    let k = Math.imul(word, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 40;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
