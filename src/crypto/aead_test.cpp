#include "crypto/aead.hpp"

#include <gtest/gtest.h>

#include "crypto/random.hpp"

namespace mcpgate::crypto {
namespace {

AeadKey make_key() {
  return AeadKey::from_bytes(random_bytes(32)).value();
}

TEST(AeadTest, SealsAndOpens) {
  const AeadKey key = make_key();
  for (const std::string& plaintext : {std::string(), std::string("x"), random_bytes(1000)}) {
    const auto sealed = key.seal(plaintext, "signing_key:k1");
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->size(), plaintext.size() + 33);
    EXPECT_EQ(aead_key_id(*sealed), key.id());
    const auto opened = key.open(*sealed, "signing_key:k1");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(AeadTest, NoncesAreFresh) {
  const AeadKey key = make_key();
  EXPECT_NE(key.seal("same", "").value(), key.seal("same", "").value());
}

TEST(AeadTest, EveryBitFlipIsDetected) {
  const AeadKey key = make_key();
  const std::string sealed = key.seal("the private key", "ad").value();
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_FALSE(key.open(bad, "ad").ok()) << i << ":" << bit;
    }
  }
  EXPECT_FALSE(key.open(sealed.substr(0, sealed.size() - 1), "ad").ok());
  EXPECT_FALSE(key.open(sealed + "x", "ad").ok());
  EXPECT_FALSE(key.open("", "ad").ok());
}

TEST(AeadTest, AssociatedDataBindsTheBlob) {
  // ATTACKS row 183: a row copied to another place fails to open.
  const AeadKey key = make_key();
  const std::string sealed = key.seal("secret", "signing_key:k1").value();
  const auto r = key.open(sealed, "signing_key:k2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(key.open(sealed, "").ok());
}

TEST(AeadTest, WrongKeyIsReportedAsSuch) {
  const AeadKey key = make_key();
  const AeadKey other = make_key();
  ASSERT_NE(key.id(), other.id());
  const auto r = other.open(key.seal("secret", "").value(), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
}

TEST(AeadTest, KeyMustBe32Bytes) {
  EXPECT_FALSE(AeadKey::from_bytes(random_bytes(16)).ok());
  EXPECT_FALSE(AeadKey::from_bytes("").ok());
  const std::string bytes = random_bytes(32);
  EXPECT_EQ(AeadKey::from_bytes(bytes).value().id(), AeadKey::from_bytes(bytes).value().id());
}

}  // namespace
}  // namespace mcpgate::crypto
