// Flow key extraction and hashing for the LB data path.
//
// A flow is (source, destination, protocol, source port, destination port). IPv4 addresses are
// stored IPv4-mapped (::ffff:a.b.c.d) so both families share one key layout. The rules:
//  - Fragments (IPv4 MF/offset, IPv6 Fragment header with MF/offset) are hashed without ports, the
//    first fragment included, so every fragment of a datagram reaches the same target.
//  - IPv6 extension headers (hop-by-hop, routing, destination options, fragment, AH, mobility, HIP,
//    shim6) are walked up to kMaxExtensionHeaders; if the chain leaves the captured bytes, the key has
//    the header type reached as protocol and no ports.
//  - ICMP echo request/reply use the echo identifier as both ports (symmetric, so an error about an
//    echo reply follows the echo flow).
//  - ICMP/ICMPv6 errors are keyed on the packet they quote, with source and destination (addresses and
//    ports) swapped: the quoted packet travelled VIP → client, so the swap gives the client → VIP flow
//    the error belongs to (path MTU discovery keeps working). Quoted errors are not followed again.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meridio {

enum FlowFlags : uint8_t {
  kFlowFragment = 1,     // hashed without ports because the packet is a fragment
  kFlowIcmpError = 2,    // key taken from the quoted packet, swapped
  kFlowTruncated = 4,    // the transport header was not within the captured bytes
};

struct FlowKey {
  uint8_t source[16];
  uint8_t destination[16];
  uint8_t family;  // 4, 6, or 0 when the bytes are not a parsable IP packet (then the key is all zero)
  uint8_t protocol;
  uint8_t flags;
  uint16_t sourcePort;
  uint16_t destinationPort;
};

// Fills `key` from the first `length` bytes of an IP packet. Returns false (and a zero key) when the
// bytes do not hold at least a complete fixed IPv4/IPv6 header.
bool ParseFlowKey(const uint8_t* packet, size_t length, FlowKey* key);

// MurmurHash3 (x86, 32-bit) of the key as ten 32-bit words: source (4 big-endian words), destination
// (4), protocol, (sourcePort << 16) | destinationPort. Defined on values, not memory, so it is the same
// on every architecture and easy to reproduce in other languages.
uint32_t HashFlowKey(const FlowKey& key, uint32_t seed);

}  // namespace meridio
