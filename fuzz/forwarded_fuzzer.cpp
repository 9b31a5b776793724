// Bytes -> http::parse_cidr and TrustedProxies::client_ip, the paths a configured proxy list and
// every X-Forwarded-For header take. The first line is a CIDR block, the rest the header. Beyond
// "no crash":
//  * an accepted block contains its own network address, and re-parsing its text form succeeds;
//  * client_ip() returns the peer, or an address that appears in the header and is not a
//    trusted proxy unless every hop was one (never a string that is not an address);
//  * an untrusted peer always gets itself back, whatever the header says.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/forwarded.hpp"

namespace {

using namespace mcpgate::http;  // NOLINT(google-build-using-namespace)

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view block_text = input.substr(0, newline);
  const std::string_view header = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  auto block = parse_cidr(block_text);
  if (block) {
    check(cidr_contains(*block, block->network));
    const std::string again = block->network.to_string() + "/" + std::to_string(block->prefix);
    check(parse_cidr(again).ok());
  }

  auto proxies = TrustedProxies::parse({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  check(proxies.ok());
  const std::string trusted_peer = "127.0.0.1";
  const std::string answer = proxies->client_ip(trusted_peer, header);
  if (answer != trusted_peer) {
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(answer, ec);
    check(!ec);
    (void)address;
  }
  const std::string untrusted_peer = "203.0.113.9";
  check(proxies->client_ip(untrusted_peer, header) == untrusted_peer);
  if (block) {
    auto one = TrustedProxies::parse({std::string(block_text)});
    check(one.ok());
    (void)one->client_ip(trusted_peer, header);
  }
  return 0;
}
