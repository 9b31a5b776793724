#include "http/address_policy.hpp"

#include <string>

#include <gtest/gtest.h>

namespace mcpgate::http {
namespace {

AddressClass classify(const std::string& text) {
  return classify_address(asio::ip::make_address(text));
}

TEST(AddressPolicyTest, PublicAddressesArePublic) {
  for (const char* a : {"1.1.1.1",
                        "8.8.8.8",
                        "93.184.216.34",
                        "100.63.255.255",
                        "100.128.0.0",
                        "172.15.255.255",
                        "172.32.0.0",
                        "192.0.1.1",
                        "192.169.0.1",
                        "198.17.255.255",
                        "198.20.0.0",
                        "223.255.255.255",
                        "2606:4700::1111",
                        "2a00:1450:4001:80b::200e",
                        "2001:200::1",
                        "64:ff9b::808:808",
                        "::ffff:8.8.8.8",
                        "2002:0808:0808::1"}) {
    EXPECT_EQ(classify(a), AddressClass::kPublic) << a;
  }
}

TEST(AddressPolicyTest, LoopbackIsLoopback) {
  for (const char* a : {"127.0.0.1", "127.255.255.254", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_EQ(classify(a), AddressClass::kLoopback) << a;
  }
}

TEST(AddressPolicyTest, SpecialPurposeV4IsNonPublic) {
  for (const char* a :
       {"0.0.0.0",         "0.255.255.255",   "10.0.0.1",       "10.255.255.255", "100.64.0.1",
        "100.127.255.255", "169.254.169.254", "169.254.0.1",    "172.16.0.1",     "172.31.255.255",
        "192.0.0.1",       "192.0.0.170",     "192.0.2.1",      "192.88.99.1",    "192.168.0.1",
        "192.168.255.255", "198.18.0.1",      "198.19.255.255", "198.51.100.1",   "203.0.113.1",
        "224.0.0.1",       "239.255.255.250", "240.0.0.1",      "255.255.255.255"}) {
    EXPECT_EQ(classify(a), AddressClass::kNonPublic) << a;
  }
}

TEST(AddressPolicyTest, SpecialPurposeV6IsNonPublic) {
  for (const char* a : {"::",
                        "100::1",
                        "100::ffff:ffff:ffff:ffff",
                        "2001::1",
                        "2001:1ff::1",
                        "2001:db8::1",
                        "2001:db8:ffff::1",
                        "fc00::1",
                        "fd12:3456::1",
                        "fe80::1",
                        "febf::1",
                        "fec0::1",
                        "ff02::1",
                        "ff05::1:3",
                        "3fff::1",
                        "5f00::1",
                        "::ffff:0:0",
                        "::7f00:1",
                        "::10.0.0.1",
                        "64:ff9b:1::a00:1"}) {
    EXPECT_EQ(classify(a), AddressClass::kNonPublic) << a;
  }
}

TEST(AddressPolicyTest, EmbeddedV4IsJudgedByTheV4Address) {
  EXPECT_EQ(classify("::ffff:10.0.0.1"), AddressClass::kNonPublic);
  EXPECT_EQ(classify("::ffff:169.254.169.254"), AddressClass::kNonPublic);
  EXPECT_EQ(classify("::ffff:192.168.1.1"), AddressClass::kNonPublic);
  EXPECT_EQ(classify("::ffff:7f00:1"), AddressClass::kLoopback);        // hex spelling of 127.0.0.1
  EXPECT_EQ(classify("64:ff9b::a9fe:a9fe"), AddressClass::kNonPublic);  // NAT64 169.254.169.254
  EXPECT_EQ(classify("64:ff9b::7f00:1"), AddressClass::kNonPublic);     // NAT64 of loopback
  EXPECT_EQ(classify("2002:c0a8:0101::1"), AddressClass::kNonPublic);   // 6to4 of 192.168.1.1
  EXPECT_EQ(classify("2002:7f00:0001::1"), AddressClass::kNonPublic);   // 6to4 of 127.0.0.1
}

TEST(AddressPolicyTest, PoliciesFilterAsDocumented) {
  const auto pub = asio::ip::make_address("8.8.8.8");
  const auto loop = asio::ip::make_address("127.0.0.1");
  const auto loop6 = asio::ip::make_address("::1");
  const auto priv = asio::ip::make_address("10.1.2.3");
  const auto meta = asio::ip::make_address("169.254.169.254");

  EXPECT_TRUE(address_allowed(AddressPolicy::kPublicOnly, pub));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, loop));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, loop6));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, priv));
  EXPECT_FALSE(address_allowed(AddressPolicy::kPublicOnly, meta));

  EXPECT_TRUE(address_allowed(AddressPolicy::kAllowLoopback, pub));
  EXPECT_TRUE(address_allowed(AddressPolicy::kAllowLoopback, loop));
  EXPECT_TRUE(address_allowed(AddressPolicy::kAllowLoopback, loop6));
  EXPECT_FALSE(address_allowed(AddressPolicy::kAllowLoopback, priv));
  EXPECT_FALSE(address_allowed(AddressPolicy::kAllowLoopback, meta));

  EXPECT_TRUE(address_allowed(AddressPolicy::kAny, priv));
  EXPECT_TRUE(address_allowed(AddressPolicy::kAny, meta));
}

TEST(AddressPolicyTest, Names) {
  EXPECT_STREQ(address_policy_name(AddressPolicy::kPublicOnly), "public-only");
  EXPECT_STREQ(address_policy_name(AddressPolicy::kAllowLoopback), "allow-loopback");
  EXPECT_STREQ(address_policy_name(AddressPolicy::kAny), "any");
}

}  // namespace
}  // namespace mcpgate::http
