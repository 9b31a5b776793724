#pragma once
// AddressPolicy: which IP addresses an outbound connection may reach (the SSRF guard).
//
// The outbound client (http/client.hpp) resolves a host name once, runs every resolved address
// through address_allowed() and connects only to the checked addresses. Classification works on
// asio's parsed address types (bytes), never on strings, so spellings such as "0177.0.0.1",
// "2130706433" or "::ffff:7f00:1" are judged by the address they denote.
//
// Non-public (refused by kPublicOnly and, apart from loopback, by kAllowLoopback):
//   IPv4  0.0.0.0/8, 10/8, 100.64/10, 127/8 (loopback), 169.254/16 (link-local, cloud metadata),
//         172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15,
//         198.51.100/24, 203.0.113/24, 224/4, 240/4 (includes 255.255.255.255)
//   IPv6  everything outside 2000::/3 (global unicast), which covers ::, ::1 (loopback),
//         100::/64, fc00::/7, fe80::/10, fec0::/10, ff00::/8; inside 2000::/3 also 2001::/23
//         (includes Teredo 2001::/32), 2001:db8::/32, 3fff::/20 (documentation, RFC 9637),
//         5f00::/16 (SRv6 SIDs).
//   Addresses that embed an IPv4 address are judged by it: ::ffff:0:0/96 (IPv4-mapped; a mapped
//   loopback counts as loopback because a dual-stack socket reaches 127.0.0.1 through it),
//   64:ff9b::/96 (NAT64) and 2002::/16 (6to4). Embedded loopback in the last two is non-public
//   (it would not reach this host's loopback), and 64:ff9b:1::/48 (local-use NAT64) is refused.
// Thread-safe: pure functions.

#include <boost/asio/ip/address.hpp>

#include "http/asio.hpp"

namespace mcpgate::http {

enum class AddressPolicy {
  kPublicOnly,     // production default: only globally routable unicast addresses
  kAllowLoopback,  // tests and local development: public addresses plus loopback
  kAny,            // no filtering (trusted, operator-configured upstreams only)
};

enum class AddressClass {
  kPublic,
  kLoopback,
  kNonPublic,  // private, link-local, reserved, documentation, multicast, unspecified, ...
};

AddressClass classify_address(const asio::ip::address& address);

bool address_allowed(AddressPolicy policy, const asio::ip::address& address);

// "public-only" | "allow-loopback" | "any"
const char* address_policy_name(AddressPolicy policy);

}  // namespace mcpgate::http
