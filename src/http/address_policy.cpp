#include "http/address_policy.hpp"

#include <array>
#include <cstdint>

namespace mcpgate::http {
namespace {

struct V4Block {
  uint32_t network;
  int bits;
};

constexpr uint32_t v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Every special-purpose IPv4 block we refuse, loopback excepted (handled first).
constexpr std::array<V4Block, 15> kNonPublicV4 = {{
    {v4(0, 0, 0, 0), 8},        // "this network"
    {v4(10, 0, 0, 0), 8},       // private
    {v4(100, 64, 0, 0), 10},    // shared address space (CGN)
    {v4(169, 254, 0, 0), 16},   // link-local, cloud metadata endpoints
    {v4(172, 16, 0, 0), 12},    // private
    {v4(192, 0, 0, 0), 24},     // IETF protocol assignments
    {v4(192, 0, 2, 0), 24},     // TEST-NET-1
    {v4(192, 88, 99, 0), 24},   // 6to4 relay anycast
    {v4(192, 168, 0, 0), 16},   // private
    {v4(198, 18, 0, 0), 15},    // benchmarking
    {v4(198, 51, 100, 0), 24},  // TEST-NET-2
    {v4(203, 0, 113, 0), 24},   // TEST-NET-3
    {v4(224, 0, 0, 0), 4},      // multicast
    {v4(240, 0, 0, 0), 4},      // reserved, includes limited broadcast 255.255.255.255
    {v4(127, 0, 0, 0), 8},      // loopback (listed for completeness; classified first)
}};

bool in_v4_block(uint32_t addr, const V4Block& block) {
  const uint32_t mask = block.bits == 0 ? 0 : ~uint32_t{0} << (32 - block.bits);
  return (addr & mask) == (block.network & mask);
}

AddressClass classify_v4(uint32_t addr) {
  if (in_v4_block(addr, {v4(127, 0, 0, 0), 8})) {
    return AddressClass::kLoopback;
  }
  for (const V4Block& block : kNonPublicV4) {
    if (in_v4_block(addr, block)) {
      return AddressClass::kNonPublic;
    }
  }
  return AddressClass::kPublic;
}

using V6Bytes = asio::ip::address_v6::bytes_type;

// True when the first `bits` bits of `addr` equal those of `prefix`.
bool in_v6_block(const V6Bytes& addr, const V6Bytes& prefix, int bits) {
  size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (addr[i] != prefix[i]) {
      return false;
    }
  }
  if (bits > 0) {
    const auto mask = static_cast<unsigned char>(0xFFu << (8 - bits));
    return (addr[i] & mask) == (prefix[i] & mask);
  }
  return true;
}

V6Bytes v6(std::initializer_list<unsigned> leading_bytes) {
  V6Bytes out{};
  size_t i = 0;
  for (unsigned b : leading_bytes) {
    out[i++] = static_cast<unsigned char>(b);
  }
  return out;
}

uint32_t v4_at(const V6Bytes& b, size_t offset) {
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16)
         | (uint32_t{b[offset + 2]} << 8) | uint32_t{b[offset + 3]};
}

// An embedded IPv4 address that is not reached through this host's own loopback.
AddressClass classify_translated_v4(uint32_t addr) {
  const AddressClass c = classify_v4(addr);
  return c == AddressClass::kLoopback ? AddressClass::kNonPublic : c;
}

AddressClass classify_v6(const asio::ip::address_v6& address) {
  const V6Bytes b = address.to_bytes();
  if (address.is_loopback()) {
    return AddressClass::kLoopback;
  }
  if (address.is_v4_mapped()) {
    // ::ffff:a.b.c.d reaches a.b.c.d on a dual-stack socket, loopback included.
    return classify_v4(v4_at(b, 12));
  }
  if (in_v6_block(b, v6({0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}), 96)) {
    return classify_translated_v4(v4_at(b, 12));  // NAT64 well-known prefix
  }
  if (in_v6_block(b, v6({0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}), 48)) {
    return AddressClass::kNonPublic;  // local-use NAT64 (RFC 8215)
  }
  if (in_v6_block(b, v6({0x20, 0x02}), 16)) {
    return classify_translated_v4(v4_at(b, 2));  // 6to4
  }
  // Only global unicast is public; this drops ::, 100::/64, fc00::/7, fe80::/10, ff00::/8, ...
  if (!in_v6_block(b, v6({0x20}), 3)) {
    return AddressClass::kNonPublic;
  }
  if (in_v6_block(b, v6({0x20, 0x01, 0x00}), 23) ||        // IETF protocol assignments
      in_v6_block(b, v6({0x20, 0x01, 0x0d, 0xb8}), 32) ||  // documentation
      in_v6_block(b, v6({0x3f, 0xff}), 20) ||              // documentation (RFC 9637)
      in_v6_block(b, v6({0x5f, 0x00}), 16)) {              // SRv6 SIDs
    return AddressClass::kNonPublic;
  }
  return AddressClass::kPublic;
}

}  // namespace

AddressClass classify_address(const asio::ip::address& address) {
  if (address.is_v4()) {
    return classify_v4(address.to_v4().to_uint());
  }
  return classify_v6(address.to_v6());
}

bool address_allowed(AddressPolicy policy, const asio::ip::address& address) {
  switch (policy) {
    case AddressPolicy::kAny:
      return true;
    case AddressPolicy::kAllowLoopback: {
      const AddressClass c = classify_address(address);
      return c == AddressClass::kPublic || c == AddressClass::kLoopback;
    }
    case AddressPolicy::kPublicOnly:
      return classify_address(address) == AddressClass::kPublic;
  }
  return false;
}

const char* address_policy_name(AddressPolicy policy) {
  switch (policy) {
    case AddressPolicy::kPublicOnly:
      return "public-only";
    case AddressPolicy::kAllowLoopback:
      return "allow-loopback";
    case AddressPolicy::kAny:
      return "any";
  }
  return "unknown";
}

}  // namespace mcpgate::http
