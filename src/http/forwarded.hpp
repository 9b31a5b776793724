#pragma once
// TrustedProxies: which peers are reverse proxies (a load balancer, nginx) whose
// X-Forwarded-For header is believed, and so from which address a request really came.
//
// Everything keyed by client address — the token and login rate limits, the `source_ip` fact of
// tool-level authorization, the logs — would otherwise see only the proxy. The header is
// attacker-controlled except for what trusted proxies appended, so it is read from the right:
// every proxy appends the address it received the request from; the client is the rightmost
// address that is not itself a trusted proxy. Entries left of it are whatever the client sent
// and are never used. A peer that is not a trusted proxy is the client, whatever it sends.
//
// With no trusted proxies configured (the default) the header is ignored entirely.
// Thread-safe after construction: const lookups only.

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/result.hpp"
#include "http/asio.hpp"

namespace mcpgate::http {

// An address block. IPv4-mapped IPv6 addresses are matched as the IPv4 address they carry.
struct Cidr {
  asio::ip::address network;  // the prefix bits only (host bits zero)
  unsigned prefix = 0;        // bits: 0-32 for IPv4, 0-128 for IPv6
};

// "10.0.0.0/8", "2001:db8::/32", or a single address ("127.0.0.1" = /32). Host bits must be
// zero ("10.0.0.1/8" is refused: it usually means a typo). kInvalidArgument with the reason.
Result<Cidr> parse_cidr(std::string_view text);
bool cidr_contains(const Cidr& block, const asio::ip::address& address);

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // kInvalidArgument naming the first malformed entry.
  static Result<TrustedProxies> parse(const std::vector<std::string>& blocks);

  bool empty() const { return blocks_.empty(); }
  bool trusts(const asio::ip::address& address) const;

  // The client's address for a request from `peer` carrying `forwarded_for` (every
  // X-Forwarded-For field value, comma-joined in order). Returns `peer` unless it is trusted;
  // then the rightmost entry that is not trusted. A malformed entry ends the walk: the last
  // trusted address before it is the answer (what lies beyond cannot be vouched for).
  std::string client_ip(const std::string& peer, std::string_view forwarded_for) const;

 private:
  std::vector<Cidr> blocks_;
};

}  // namespace mcpgate::http
