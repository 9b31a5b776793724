#include "http/forwarded.hpp"

#include <array>
#include <charconv>

#include "http/message.hpp"

namespace mcpgate::http {
namespace {

// IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address; anything else unchanged.
asio::ip::address canonical(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

// The first `prefix` bits of an address in network order, the rest zero (IPv4 in the first 4
// bytes): two addresses of one family share a block of that prefix exactly when these agree.
using Bytes = std::array<unsigned char, 16>;
Bytes masked(const asio::ip::address& a, unsigned prefix) {
  Bytes out{};
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
  } else {
    out = a.to_v6().to_bytes();
  }
  for (unsigned i = 0; i < out.size(); ++i) {
    const unsigned first_bit = i * 8;
    if (first_bit >= prefix) {
      out[i] = 0;
    } else if (prefix - first_bit < 8) {
      out[i] = static_cast<unsigned char>(out[i] & (0xffu << (8 - (prefix - first_bit))));
    }
  }
  return out;
}

Error invalid(std::string_view text, std::string_view why) {
  std::string shown(text.substr(0, 64));
  return make_error(ErrorCode::kInvalidArgument, "'" + shown + "': " + std::string(why));
}

// A strict address: no brackets, ports or zone ids (proxies write bare addresses).
bool parse_address(std::string_view text, asio::ip::address& out) {
  if (text.empty() || text.size() > 45 || text.find('%') != std::string_view::npos) {
    return false;
  }
  boost::system::error_code ec;
  out = asio::ip::make_address(std::string(text), ec);
  return !ec;
}

}  // namespace

Result<Cidr> parse_cidr(std::string_view text) {
  text = trim_ows(text);
  const auto slash = text.find('/');
  asio::ip::address address;
  if (!parse_address(text.substr(0, slash), address)) {
    return invalid(text, "not an IP address or CIDR block");
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return invalid(text, "write an IPv4-mapped block as the IPv4 block (mapped addresses match it)");
  }
  const unsigned max = address.is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    const auto* end = bits.data() + bits.size();
    auto [ptr, ec] = std::from_chars(bits.data(), end, prefix);
    if (bits.empty() || ec != std::errc() || ptr != end || prefix > max) {
      return invalid(text, "prefix length must be 0-" + std::to_string(max));
    }
  }
  if (masked(address, prefix) != masked(address, max)) {
    return invalid(text, "host bits are set (did you mean the network address?)");
  }
  return Cidr{address, prefix};
}

bool cidr_contains(const Cidr& block, const asio::ip::address& address) {
  const asio::ip::address a = canonical(address);
  if (a.is_v4() != block.network.is_v4()) {
    return false;
  }
  return masked(a, block.prefix) == masked(block.network, block.prefix);
}

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& blocks) {
  TrustedProxies out;
  for (const std::string& text : blocks) {
    MCPGATE_ASSIGN_OR_RETURN(Cidr block, parse_cidr(text));
    out.blocks_.push_back(block);
  }
  return out;
}

bool TrustedProxies::trusts(const asio::ip::address& address) const {
  for (const Cidr& block : blocks_) {
    if (cidr_contains(block, address)) {
      return true;
    }
  }
  return false;
}

std::string TrustedProxies::client_ip(const std::string& peer, std::string_view forwarded_for) const {
  asio::ip::address current;
  if (blocks_.empty() || !parse_address(peer, current) || !trusts(current)) {
    return peer;
  }
  std::string answer = peer;
  // Right to left over the comma-separated entries (the header size limit bounds the walk).
  std::size_t end = forwarded_for.size();
  while (true) {
    const std::size_t comma = end == 0 ? std::string_view::npos : forwarded_for.rfind(',', end - 1);
    const std::size_t start = comma == std::string_view::npos ? 0 : comma + 1;
    const std::string_view entry = trim_ows(forwarded_for.substr(start, end - start));
    asio::ip::address hop;
    if (!parse_address(entry, hop)) {
      return answer;  // malformed or empty: nothing beyond it is vouched for
    }
    answer = canonical(hop).to_string();
    if (!trusts(hop) || comma == std::string_view::npos) {
      // The first untrusted hop is the client; if every hop is a trusted proxy, the leftmost is
      // as far as anyone can see.
      return answer;
    }
    end = comma;
  }
}

}  // namespace mcpgate::http
