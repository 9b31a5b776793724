#include "crypto/encoding.hpp"

#include <set>

#include <gtest/gtest.h>

#include "crypto/random.hpp"

namespace mcpgate::crypto {
namespace {

TEST(Base64UrlTest, EncodesRfc4648Vectors) {
  // RFC 4648 §10, in the URL alphabet without padding.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf", 3)), "-_-_");
}

TEST(Base64UrlTest, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 70; ++n) {
    const std::string bytes = random_bytes(n);
    const auto decoded = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(decoded.ok()) << n;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64UrlTest, RejectsNonCanonicalInput) {
  EXPECT_FALSE(base64url_decode("Zg==").ok());    // padding
  EXPECT_FALSE(base64url_decode("Zm9v+g").ok());  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9v/g").ok());
  EXPECT_FALSE(base64url_decode("Zm 9v").ok());  // whitespace
  EXPECT_FALSE(base64url_decode("Zm9v\n").ok());
  EXPECT_FALSE(base64url_decode("Z").ok());  // impossible length
  EXPECT_FALSE(base64url_decode("Zm9vY").ok());
  EXPECT_FALSE(base64url_decode("Zh").ok());   // non-zero trailing bits ("Zg" is canonical)
  EXPECT_FALSE(base64url_decode("Zm9").ok());  // "Zm8" is canonical
  EXPECT_FALSE(base64url_decode(std::string("Zg\0", 3)).ok());
  EXPECT_EQ(base64url_decode("").value(), "");
}

TEST(Base64UnpaddedTest, UsesTheStandardAlphabet) {
  EXPECT_EQ(base64_unpadded_encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(base64_unpadded_decode("+/+/").value(), std::string("\xfb\xff\xbf", 3));
  EXPECT_FALSE(base64_unpadded_decode("-_-_").ok());
}

TEST(HexTest, EncodesAndDecodes) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_decode("0001ABff").value(), std::string("\x00\x01\xab\xff", 4));
  EXPECT_FALSE(hex_decode("abc").ok());
  EXPECT_FALSE(hex_decode("zz").ok());
}

TEST(RandomTest, TokensAreLongAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string token = random_token();
    EXPECT_EQ(token.size(), 43U);
    EXPECT_TRUE(seen.insert(token).second);
    EXPECT_EQ(base64url_decode(token).value().size(), 32U);
  }
  EXPECT_EQ(random_id().size(), 22U);
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_EQ(random_bytes(100).size(), 100U);
}

}  // namespace
}  // namespace mcpgate::crypto
