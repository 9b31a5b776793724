#include "http/forwarded.hpp"

#include <string>

#include <gtest/gtest.h>

namespace mcpgate::http {
namespace {

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

TrustedProxies proxies(std::vector<std::string> blocks) {
  auto p = TrustedProxies::parse(blocks);
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? std::move(p).value() : TrustedProxies();
}

TEST(CidrTest, ParsesBlocksAndSingleAddresses) {
  auto v4 = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(cidr_contains(*v4, ip("10.255.1.2")));
  EXPECT_FALSE(cidr_contains(*v4, ip("11.0.0.1")));
  auto odd = parse_cidr("172.16.0.0/12");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(cidr_contains(*odd, ip("172.31.255.255")));
  EXPECT_FALSE(cidr_contains(*odd, ip("172.32.0.0")));
  auto one = parse_cidr(" 127.0.0.1 ");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->prefix, 32u);
  EXPECT_TRUE(cidr_contains(*one, ip("127.0.0.1")));
  EXPECT_FALSE(cidr_contains(*one, ip("127.0.0.2")));
  auto v6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(cidr_contains(*v6, ip("2001:db8:1::5")));
  EXPECT_FALSE(cidr_contains(*v6, ip("2001:db9::1")));
  EXPECT_FALSE(cidr_contains(*v6, ip("10.0.0.1")));  // families never match each other
  auto all = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(cidr_contains(*all, ip("203.0.113.9")));
  EXPECT_FALSE(cidr_contains(*all, ip("::1")));
}

TEST(CidrTest, MappedAddressesMatchAsIpv4) {
  auto block = parse_cidr("192.168.0.0/16");
  ASSERT_TRUE(block.ok());
  EXPECT_TRUE(cidr_contains(*block, ip("::ffff:192.168.4.4")));
  auto mapped_block = parse_cidr("::ffff:10.0.0.0/8");
  EXPECT_FALSE(mapped_block.ok());  // ambiguous prefix: written as the IPv4 block instead
}

TEST(CidrTest, RefusesMalformedBlocksWithTheReason) {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
                          "10.0.0.1/8", "999.0.0.0/8", "10.0.0/8", "fe80::1%eth0/64", "::/129",
                          "[::1]/128", "localhost", "10.0.0.0/ 8", "0x0a.0.0.0/8"}) {
    auto r = parse_cidr(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
  auto typo = parse_cidr("10.0.0.1/8");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("host bits"), std::string::npos) << typo.error().message;
  auto list = TrustedProxies::parse({"10.0.0.0/8", "nonsense"});
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("nonsense"), std::string::npos);
}

TEST(TrustedProxiesTest, WithoutProxiesTheHeaderIsIgnored) {
  TrustedProxies none;
  EXPECT_EQ(none.client_ip("127.0.0.1", "203.0.113.7"), "127.0.0.1");
}

TEST(TrustedProxiesTest, AnUntrustedPeerIsTheClientWhateverItSends) {
  const auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(p.client_ip("203.0.113.7", "10.1.1.1"), "203.0.113.7");
  EXPECT_EQ(p.client_ip("203.0.113.7", "1.2.3.4, 10.0.0.1"), "203.0.113.7");
}

TEST(TrustedProxiesTest, TheRightmostUntrustedHopIsTheClient) {
  const auto p = proxies({"10.0.0.0/8", "127.0.0.1"});
  // One proxy: it appended the client's address.
  EXPECT_EQ(p.client_ip("127.0.0.1", "203.0.113.7"), "203.0.113.7");
  // Two proxies (edge 10.0.0.5, then loopback nginx); a spoofed entry left of the client's.
  EXPECT_EQ(p.client_ip("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.5"), "203.0.113.7");
  // A client claiming to be a proxy from the inside is still read from the right.
  EXPECT_EQ(p.client_ip("127.0.0.1", "10.9.9.9, 198.51.100.2"), "198.51.100.2");
  // Every hop trusted: the leftmost.
  EXPECT_EQ(p.client_ip("127.0.0.1", "10.0.0.9, 10.0.0.5"), "10.0.0.9");
  // IPv6 and mapped addresses.
  EXPECT_EQ(p.client_ip("::ffff:127.0.0.1", "2001:db8::7"), "2001:db8::7");
  EXPECT_EQ(p.client_ip("127.0.0.1", "::ffff:203.0.113.7"), "203.0.113.7");
  // Whitespace around entries (several header fields are joined with ", ").
  EXPECT_EQ(p.client_ip("127.0.0.1", " 203.0.113.7 ,\t10.0.0.5 "), "203.0.113.7");
}

TEST(TrustedProxiesTest, MalformedEntriesStopTheWalk) {
  const auto p = proxies({"10.0.0.0/8", "127.0.0.1"});
  // Nothing usable: the proxy itself is all that is known.
  EXPECT_EQ(p.client_ip("127.0.0.1", ""), "127.0.0.1");
  EXPECT_EQ(p.client_ip("127.0.0.1", "unknown"), "127.0.0.1");
  EXPECT_EQ(p.client_ip("127.0.0.1", "203.0.113.7,"), "127.0.0.1");
  // A port, brackets, a zone or an obfuscated spelling is not an address here.
  EXPECT_EQ(p.client_ip("127.0.0.1", "203.0.113.7:443"), "127.0.0.1");
  EXPECT_EQ(p.client_ip("127.0.0.1", "[2001:db8::7]"), "127.0.0.1");
  EXPECT_EQ(p.client_ip("127.0.0.1", "fe80::1%eth0"), "127.0.0.1");
  EXPECT_EQ(p.client_ip("127.0.0.1", "0x7f.0.0.1"), "127.0.0.1");
  // Garbage left of a trusted hop: the last trusted hop read.
  EXPECT_EQ(p.client_ip("127.0.0.1", "<script>, 10.0.0.5"), "10.0.0.5");
  // Oversized: a long run of commas and junk ends at the first bad entry, fast.
  std::string junk(100000, ',');
  EXPECT_EQ(p.client_ip("127.0.0.1", junk + "203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(p.client_ip("127.0.0.1", "203.0.113.7" + junk), "127.0.0.1");
}

}  // namespace
}  // namespace mcpgate::http
