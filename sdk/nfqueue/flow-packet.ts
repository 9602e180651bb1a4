import { isIP } from 'node:net';
import { InvalidArgumentError } from '../core/index.js';

/** A flow as the LB sees its packets: client → VIP. */
export interface FlowTuple {
  source: string;
  destination: string;
  /** 'tcp', 'udp', 'sctp' or an IP protocol number. */
  protocol: 'tcp' | 'udp' | 'sctp' | number;
  sourcePort?: number;
  destinationPort?: number;
}

const PROTOCOL_NUMBERS = { tcp: 6, udp: 17, sctp: 132 } as const;

/**
 * The first bytes of a packet of this flow (IP header + 8 bytes of transport header), enough for the
 * flow hash: "which target does this flow get?" is then answered by the same code as the data path.
 */
export function flowPacket(flow: FlowTuple): Uint8Array {
  const family = isIP(flow.source);
  if (family === 0 || isIP(flow.destination) !== family) {
    throw new InvalidArgumentError(
      `A flow needs two addresses of one family, got "${flow.source}" and "${flow.destination}".`,
    );
  }
  const protocol = typeof flow.protocol === 'number' ? flow.protocol : PROTOCOL_NUMBERS[flow.protocol];
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
    throw new InvalidArgumentError(`"${flow.protocol}" is not an IP protocol.`);
  }
  const sourcePort = flow.sourcePort ?? 0;
  const destinationPort = flow.destinationPort ?? 0;
  for (const port of [sourcePort, destinationPort]) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new InvalidArgumentError(`A port must be an integer from 0 to 65535, got ${port}.`);
    }
  }
  const headerLength = family === 4 ? 20 : 40;
  const packet = new Uint8Array(headerLength + 8);
  const view = new DataView(packet.buffer);
  if (family === 4) {
    packet[0] = 0x45;
    view.setUint16(2, packet.length);
    packet[8] = 64;
    packet[9] = protocol;
    packet.set(ipv4Bytes(flow.source), 12);
    packet.set(ipv4Bytes(flow.destination), 16);
  } else {
    packet[0] = 0x60;
    view.setUint16(4, 8);
    packet[6] = protocol;
    packet[7] = 64;
    packet.set(ipv6Bytes(flow.source), 8);
    packet.set(ipv6Bytes(flow.destination), 24);
  }
  view.setUint16(headerLength, sourcePort);
  view.setUint16(headerLength + 2, destinationPort);
  return packet;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** Expands "::" and a trailing dotted IPv4 part; the address was already validated by isIP. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = ipv4Bytes(dotted[1]);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}
