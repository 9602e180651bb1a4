#include "flow_key.h"

#include <cstring>

namespace meridio {
namespace {

constexpr int kMaxExtensionHeaders = 8;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoDccp = 33;
constexpr uint8_t kProtoIpv6Fragment = 44;
constexpr uint8_t kProtoAh = 51;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kProtoSctp = 132;
constexpr uint8_t kProtoUdpLite = 136;

inline uint16_t ReadU16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline uint32_t ReadU32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

bool HasPorts(uint8_t protocol) {
  return protocol == kProtoTcp || protocol == kProtoUdp || protocol == kProtoSctp ||
         protocol == kProtoUdpLite || protocol == kProtoDccp;
}

// Extension headers whose length is (hdr_ext_len + 1) * 8 octets.
bool IsGenericExtensionHeader(uint8_t header) {
  return header == 0 || header == 43 || header == 60 || header == 135 || header == 139 || header == 140;
}

bool IsIcmpEcho(int family, uint8_t type) {
  return family == 4 ? (type == 0 || type == 8) : (type == 128 || type == 129);
}

bool IsIcmpError(int family, uint8_t type) {
  if (family == 4) return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  return type >= 1 && type <= 4;
}

struct Layer4 {
  size_t offset;
  uint8_t protocol;
  bool fragment;
  bool reachable;  // false when the extension header chain left the captured bytes
};

// Where the transport header starts, its protocol and whether the packet is a fragment. Returns false
// when the fixed header itself is incomplete.
bool ParseNetworkHeader(const uint8_t* p, size_t length, int family, FlowKey* key, Layer4* l4) {
  if (family == 4) {
    if (length < 20) return false;
    size_t headerLength = static_cast<size_t>(p[0] & 0x0f) * 4;
    if (headerLength < 20) return false;
    static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(key->source, kMappedPrefix, 12);
    std::memcpy(key->source + 12, p + 12, 4);
    std::memcpy(key->destination, kMappedPrefix, 12);
    std::memcpy(key->destination + 12, p + 16, 4);
    l4->protocol = p[9];
    l4->fragment = (ReadU16(p + 6) & 0x3fff) != 0;  // MF flag or a fragment offset
    l4->offset = headerLength;
    l4->reachable = headerLength <= length;
    return true;
  }
  if (length < 40) return false;
  std::memcpy(key->source, p + 8, 16);
  std::memcpy(key->destination, p + 24, 16);
  uint8_t next = p[6];
  size_t offset = 40;
  l4->fragment = false;
  l4->reachable = true;
  for (int walked = 0;; walked++) {
    bool generic = IsGenericExtensionHeader(next);
    if (!generic && next != kProtoIpv6Fragment && next != kProtoAh) break;
    if (walked == kMaxExtensionHeaders || offset + 8 > length) {
      l4->reachable = false;
      break;
    }
    uint8_t following = p[offset];
    if (next == kProtoIpv6Fragment) {
      uint16_t offsetAndFlags = ReadU16(p + offset + 2);
      // Offset (13 bits) or More-Fragments: an atomic fragment (both zero) is a whole packet.
      if ((offsetAndFlags & 0xfff9) != 0) l4->fragment = true;
      next = following;
      offset += 8;
      if ((offsetAndFlags & 0xfff8) != 0) {
        l4->reachable = false;  // not the first fragment: what follows is payload, not a header
        break;
      }
    } else if (next == kProtoAh) {
      next = following;
      offset += (static_cast<size_t>(p[offset + 1]) + 2) * 4;
    } else {
      next = following;
      offset += (static_cast<size_t>(p[offset + 1]) + 1) * 8;
    }
  }
  l4->protocol = next;
  l4->offset = offset;
  if (offset > length) l4->reachable = false;
  return true;
}

bool ParseInto(const uint8_t* p, size_t length, FlowKey* key, bool followIcmpErrors) {
  if (length < 1) return false;
  int family = p[0] >> 4;
  if (family != 4 && family != 6) return false;
  Layer4 l4;
  if (!ParseNetworkHeader(p, length, family, key, &l4)) return false;
  key->family = static_cast<uint8_t>(family);
  key->protocol = l4.protocol;
  if (l4.fragment) key->flags |= kFlowFragment;
  if (l4.fragment || !l4.reachable) {
    if (!l4.reachable) key->flags |= kFlowTruncated;
    return true;
  }
  const uint8_t* t = p + l4.offset;
  size_t available = length - l4.offset;
  if (HasPorts(l4.protocol)) {
    if (available < 4) {
      key->flags |= kFlowTruncated;
      return true;
    }
    key->sourcePort = ReadU16(t);
    key->destinationPort = ReadU16(t + 2);
    return true;
  }
  bool icmp = (family == 4 && l4.protocol == kProtoIcmp) || (family == 6 && l4.protocol == kProtoIcmpv6);
  if (!icmp) return true;
  if (available < 8) {
    key->flags |= kFlowTruncated;
    return true;
  }
  uint8_t type = t[0];
  if (IsIcmpEcho(family, type)) {
    key->sourcePort = key->destinationPort = ReadU16(t + 4);
    return true;
  }
  if (!followIcmpErrors || !IsIcmpError(family, type)) return true;
  FlowKey inner;
  std::memset(&inner, 0, sizeof inner);
  const uint8_t* quoted = t + 8;
  size_t quotedLength = available - 8;
  if (quotedLength < 1 || (quoted[0] >> 4) != family || !ParseInto(quoted, quotedLength, &inner, false)) {
    return true;  // nothing usable quoted: keep the outer ICMP key
  }
  std::memcpy(key->source, inner.destination, 16);
  std::memcpy(key->destination, inner.source, 16);
  key->protocol = inner.protocol;
  key->sourcePort = inner.destinationPort;
  key->destinationPort = inner.sourcePort;
  key->flags = static_cast<uint8_t>(inner.flags | kFlowIcmpError);
  return true;
}

inline uint32_t RotateLeft(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

}  // namespace

bool ParseFlowKey(const uint8_t* packet, size_t length, FlowKey* key) {
  std::memset(key, 0, sizeof *key);
  if (ParseInto(packet, length, key, true)) return true;
  std::memset(key, 0, sizeof *key);
  return false;
}

uint32_t HashFlowKey(const FlowKey& key, uint32_t seed) {
  uint32_t words[10];
  for (int i = 0; i < 4; i++) {
    words[i] = ReadU32(key.source + 4 * i);
    words[4 + i] = ReadU32(key.destination + 4 * i);
  }
  words[8] = key.protocol;
  words[9] = (static_cast<uint32_t>(key.sourcePort) << 16) | key.destinationPort;
  uint32_t h = seed;
  for (uint32_t word : words) {
    uint32_t k = word * 0xcc9e2d51u;
    k = RotateLeft(k, 15);
    k *= 0x1b873593u;
    h ^= k;
    h = RotateLeft(h, 13);
    h = h * 5 + 0xe6546b64u;
  }
  h ^= sizeof words;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

}  // namespace meridio
