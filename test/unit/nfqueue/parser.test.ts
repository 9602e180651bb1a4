import { hashPacket, type FlowFields } from '../../../sdk/nfqueue/index.js';
import {
  fuzzPacket,
  icmp,
  ipv4,
  ipv4Address,
  ipv6,
  ipv6Address,
  mulberry32,
  ports,
  type ExtensionHeader,
} from './packets.js';
import { referenceFlow, referenceHash, type ReferenceFlow } from './reference-flow.js';

const SEED = 0x4d455249;
const client4 = ipv4Address('10.0.0.2');
const vip4 = ipv4Address('20.0.0.1');
const router4 = ipv4Address('10.9.9.9');
const client6 = ipv6Address('fd00::2');
const vip6 = ipv6Address('fd00:20::1');
const router6 = ipv6Address('fd00:99::9');

function fields(packet: Uint8Array): FlowFields {
  const result = hashPacket(packet, SEED);
  if (result === undefined) throw new Error('expected a parsable packet');
  return result;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function sameFlow(actual: FlowFields, expected: ReferenceFlow, expectedHash: number): boolean {
  return (
    actual.family === expected.family &&
    sameBytes(actual.sourceBytes, expected.source) &&
    sameBytes(actual.destinationBytes, expected.destination) &&
    actual.protocol === expected.protocol &&
    actual.sourcePort === expected.sourcePort &&
    actual.destinationPort === expected.destinationPort &&
    actual.fragment === expected.fragment &&
    actual.icmpError === expected.icmpError &&
    actual.truncated === expected.truncated &&
    actual.hash === expectedHash
  );
}

function comparable(flow: FlowFields | ReferenceFlow): Record<string, unknown> {
  const source = 'sourceBytes' in flow ? flow.sourceBytes : flow.source;
  const destination = 'destinationBytes' in flow ? flow.destinationBytes : flow.destination;
  return {
    family: flow.family,
    source: Buffer.from(source).toString('hex'),
    destination: Buffer.from(destination).toString('hex'),
    protocol: flow.protocol,
    sourcePort: flow.sourcePort,
    destinationPort: flow.destinationPort,
    fragment: flow.fragment,
    icmpError: flow.icmpError,
    truncated: flow.truncated,
    ...('hash' in flow ? { hash: flow.hash } : {}),
  };
}

describe('flow key parser (native)', () => {
  it('reads the 5-tuple of IPv4 TCP, with IPv4 options', () => {
    const packet = ipv4({
      source: client4,
      destination: vip4,
      protocol: 6,
      payload: ports(40000, 8080, 20),
      options: new Uint8Array(8),
    });
    const flow = fields(packet);
    expect(flow).toMatchObject({
      family: 4,
      source: '10.0.0.2',
      destination: '20.0.0.1',
      protocol: 6,
      sourcePort: 40000,
      destinationPort: 8080,
      fragment: false,
      icmpError: false,
      truncated: false,
    });
    expect(Array.from(flow.sourceBytes.subarray(0, 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255]);
    expect(flow.hash).toBe(referenceHash(referenceFlow(packet), SEED));
    expect(hashPacket(packet, SEED + 1)?.hash).not.toBe(flow.hash);
  });

  it('walks IPv6 extension headers to the transport header', () => {
    const extensions: ExtensionHeader[] = [
      { type: 0 },
      { type: 60, lengthField: 2 },
      { type: 43 },
      { type: 51 },
    ];
    const flow = fields(
      ipv6({ source: client6, destination: vip6, extensions, protocol: 17, payload: ports(5353, 53) }),
    );
    expect(flow).toMatchObject({
      family: 6,
      source: 'fd00:0:0:0:0:0:0:2',
      destination: 'fd00:20:0:0:0:0:0:1',
      protocol: 17,
      sourcePort: 5353,
      destinationPort: 53,
      truncated: false,
    });
  });

  it('stops after 8 extension headers and when the chain leaves the captured bytes', () => {
    const nine: ExtensionHeader[] = Array.from({ length: 9 }, () => ({ type: 60 }));
    expect(
      fields(
        ipv6({ source: client6, destination: vip6, extensions: nine, protocol: 6, payload: ports(1, 2) }),
      ),
    ).toMatchObject({ protocol: 60, sourcePort: 0, truncated: true });
    const long: ExtensionHeader[] = [{ type: 0, lengthField: 20 }];
    const packet = ipv6({
      source: client6,
      destination: vip6,
      extensions: long,
      protocol: 6,
      payload: ports(1, 2),
    });
    expect(fields(packet.slice(0, 128))).toMatchObject({ protocol: 6, sourcePort: 0, truncated: true });
  });

  it('hashes every fragment of a datagram alike (no ports), IPv4 and IPv6', () => {
    const whole = fields(
      ipv4({ source: client4, destination: vip4, protocol: 17, payload: ports(1000, 53) }),
    );
    const first = fields(
      ipv4({
        source: client4,
        destination: vip4,
        protocol: 17,
        payload: ports(1000, 53),
        moreFragments: true,
      }),
    );
    const later = fields(
      ipv4({
        source: client4,
        destination: vip4,
        protocol: 17,
        payload: new Uint8Array(64),
        fragmentOffset: 185,
      }),
    );
    expect(first).toMatchObject({ fragment: true, sourcePort: 0, destinationPort: 0, protocol: 17 });
    expect(later.hash).toBe(first.hash);
    expect(whole.hash).not.toBe(first.hash);

    const fragment6 = (offset: number, more: boolean, payload: Uint8Array): FlowFields =>
      fields(
        ipv6({
          source: client6,
          destination: vip6,
          extensions: [{ type: 0 }, { type: 44, fragmentOffset: offset, moreFragments: more }],
          protocol: 17,
          payload,
        }),
      );
    const first6 = fragment6(0, true, ports(1000, 53));
    expect(first6).toMatchObject({ fragment: true, sourcePort: 0, protocol: 17 });
    expect(fragment6(181, false, new Uint8Array(40)).hash).toBe(first6.hash);
    // An atomic fragment (offset 0, no more fragments) is a whole datagram: ports are used.
    expect(fragment6(0, false, ports(1000, 53))).toMatchObject({
      fragment: false,
      sourcePort: 1000,
      destinationPort: 53,
    });
  });

  it('keys an ICMP error on the quoted packet, swapped, so it follows the flow (PMTU)', () => {
    const flow4 = fields(
      ipv4({ source: client4, destination: vip4, protocol: 6, payload: ports(40000, 8080) }),
    );
    const reply4 = ipv4({ source: vip4, destination: client4, protocol: 6, payload: ports(8080, 40000, 20) });
    const fragNeeded = ipv4({
      source: router4,
      destination: vip4,
      protocol: 1,
      payload: icmp(3, 4, 1400, reply4),
    });
    expect(fields(fragNeeded)).toMatchObject({
      source: '10.0.0.2',
      destination: '20.0.0.1',
      protocol: 6,
      sourcePort: 40000,
      destinationPort: 8080,
      icmpError: true,
      hash: flow4.hash,
    });

    const flow6 = fields(
      ipv6({ source: client6, destination: vip6, protocol: 6, payload: ports(40000, 8080) }),
    );
    const reply6 = ipv6({ source: vip6, destination: client6, protocol: 6, payload: ports(8080, 40000, 20) });
    const tooBig = ipv6({
      source: router6,
      destination: vip6,
      protocol: 58,
      payload: icmp(2, 0, 1280, reply6),
    });
    expect(fields(tooBig.slice(0, 128))).toMatchObject({
      icmpError: true,
      sourcePort: 40000,
      hash: flow6.hash,
    });
  });

  it('uses the echo identifier for pings, so an error about an echo reply follows the ping', () => {
    const request = fields(
      ipv4({ source: client4, destination: vip4, protocol: 1, payload: icmp(8, 0, 0x12340001) }),
    );
    expect(request).toMatchObject({ sourcePort: 0x1234, destinationPort: 0x1234, protocol: 1 });
    const reply = ipv4({ source: vip4, destination: client4, protocol: 1, payload: icmp(0, 0, 0x12340001) });
    const unreachable = ipv4({
      source: router4,
      destination: vip4,
      protocol: 1,
      payload: icmp(3, 1, 0, reply),
    });
    expect(fields(unreachable).hash).toBe(request.hash);
    const request6 = fields(
      ipv6({ source: client6, destination: vip6, protocol: 58, payload: icmp(128, 0, 0x00070001) }),
    );
    expect(request6).toMatchObject({ sourcePort: 7, destinationPort: 7 });
  });

  it('keeps the outer ICMP key when the quoted packet is unusable', () => {
    const garbage = ipv4({
      source: router4,
      destination: vip4,
      protocol: 1,
      payload: icmp(11, 0, 0, new Uint8Array(10)),
    });
    expect(fields(garbage)).toMatchObject({
      source: '10.9.9.9',
      protocol: 1,
      icmpError: false,
      sourcePort: 0,
    });
  });

  it('returns undefined for bytes that are not an IP header', () => {
    expect(hashPacket(new Uint8Array(0), SEED)).toBeUndefined();
    expect(hashPacket(new Uint8Array(19).fill(0x45), SEED)).toBeUndefined();
    expect(hashPacket(new Uint8Array(39).fill(0x60), SEED)).toBeUndefined();
    expect(hashPacket(Uint8Array.from([0x44, ...new Array<number>(30).fill(0)]), SEED)).toBeUndefined();
    expect(hashPacket(new Uint8Array(60).fill(0x70), SEED)).toBeUndefined();
  });

  it('agrees with an independent parser on 100,000 random, truncated and mutated packets', () => {
    const random = mulberry32(20240601);
    const seen = { v4: 0, v6: 0, fragment: 0, icmpError: 0, truncated: 0, unparsed: 0, ports: 0 };
    for (let i = 0; i < 100_000; i++) {
      const packet = fuzzPacket(random);
      const seed = i % 7 === 0 ? (i * 2654435761) >>> 0 : SEED;
      const actual = hashPacket(packet, seed);
      const expected = referenceFlow(packet);
      if (expected === undefined) {
        seen.unparsed++;
        if (actual !== undefined)
          throw new Error(`packet ${i} parsed by native only: ${Buffer.from(packet).toString('hex')}`);
        continue;
      }
      const expectedHash = referenceHash(expected, seed);
      if (actual === undefined || !sameFlow(actual, expected, expectedHash)) {
        // One readable failure with the packet, instead of 100,000 expectations.
        expect({ packet: Buffer.from(packet).toString('hex'), fields: actual && comparable(actual) }).toEqual(
          {
            packet: Buffer.from(packet).toString('hex'),
            fields: { ...comparable(expected), hash: expectedHash },
          },
        );
      }
      seen[expected.family === 4 ? 'v4' : 'v6']++;
      if (expected.fragment) seen.fragment++;
      if (expected.icmpError) seen.icmpError++;
      if (expected.truncated) seen.truncated++;
      if (expected.sourcePort !== 0 || expected.destinationPort !== 0) seen.ports++;
    }
    // The generator really exercised every shape.
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(1000);
  });
});
