#include "crypto/hash.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"

namespace mcpgate::crypto {
namespace {

std::string hex(std::string_view bytes) {
  return hex_encode(bytes);
}

std::string unhex(std::string_view text) {
  return hex_decode(text).value();
}

TEST(Sha256Test, MatchesFips180Vectors) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha512Test, MatchesFips180Vectors) {
  EXPECT_EQ(hex(sha512("abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(sha512("").size(), kSha512Size);
}

struct HmacVector {
  std::string key;
  std::string data;
  const char* expected;
};

TEST(HmacSha256Test, MatchesRfc4231Vectors) {
  const HmacVector vectors[] = {
      {std::string(20, '\x0b'),
       "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe",
       "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'),
       std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
       std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(hex(hmac_sha256(v.key, v.data)), v.expected);
  }
  EXPECT_EQ(hmac_sha256("", "").size(), kSha256Size);
}

TEST(HkdfSha256Test, MatchesRfc5869Case1) {
  const std::string okm = hkdf_sha256(std::string(22, '\x0b'),
                                      unhex("000102030405060708090a0b0c"),
                                      unhex("f0f1f2f3f4f5f6f7f8f9"),
                                      42);
  EXPECT_EQ(hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  const std::string a = sha256("x");
  std::string b = a;
  b[31] = static_cast<char>(b[31] ^ 1);
  EXPECT_FALSE(constant_time_equal(a, b));
}

}  // namespace
}  // namespace mcpgate::crypto
