#include "vault/sealing.hpp"

#include <string>

#include <gtest/gtest.h>

#include "crypto/random.hpp"

namespace mcpgate::vault {
namespace {

crypto::AeadKey random_key() {
  return crypto::AeadKey::from_bytes(crypto::random_bytes(32)).value();
}

TEST(VaultSealing, FieldAadIsTheDocumentedByteString) {
  EXPECT_EQ(field_aad(FieldRef{"acme", "alice", "vc_1", "access_token"}),
            std::string("vault/v1\0acme\0alice\0vc_1\0access_token", 37));
  EXPECT_EQ(data_key_aad("acme", 2, 7), std::string("vault/v1/dek\0acme\0" "2\0" "7", 21));
}

TEST(VaultSealing, AFieldOpensOnlyWhereItWasSealed) {
  const crypto::AeadKey dek = random_key();
  const FieldRef home{"acme", "alice", "vc_1", "access_token"};
  const auto sealed = seal_field(dek, home, "ya29.secret");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*open_field(dek, home, *sealed), "ya29.secret");

  for (const FieldRef& elsewhere : {FieldRef{"other", "alice", "vc_1", "access_token"},
                                    FieldRef{"acme", "bob", "vc_1", "access_token"},
                                    FieldRef{"acme", "alice", "vc_2", "access_token"},
                                    FieldRef{"acme", "alice", "vc_1", "refresh_token"}}) {
    const auto opened = open_field(dek, elsewhere, *sealed);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::kPermissionDenied);
    EXPECT_EQ(opened.error().message.find("ya29"), std::string::npos);
  }
  // Another key: reported as such, not as tampering.
  EXPECT_EQ(open_field(random_key(), home, *sealed).error().code, ErrorCode::kFailedPrecondition);
  // Corrupt bytes: a clear error, never a crash.
  for (const std::string& junk : {std::string(), std::string("x"), std::string(200, '\x01'),
                                  sealed->substr(0, 20)}) {
    EXPECT_FALSE(open_field(dek, home, junk).ok());
  }
  std::string flipped = *sealed;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
  EXPECT_EQ(open_field(dek, home, flipped).error().code, ErrorCode::kPermissionDenied);
}

TEST(VaultSealing, DataKeysUnwrapOnlyUnderTheirOwnLabels) {
  const crypto::AeadKey kek = random_key();
  auto made = make_data_key(kek, "acme", 1, 1);
  ASSERT_TRUE(made.ok());
  const auto unwrapped = unwrap_data_key(kek, made->wrapped, "acme", 1, 1);
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(unwrapped->id(), made->key.id());

  EXPECT_EQ(unwrap_data_key(kek, made->wrapped, "other", 1, 1).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(unwrap_data_key(kek, made->wrapped, "acme", 2, 1).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(unwrap_data_key(kek, made->wrapped, "acme", 1, 2).error().code,
            ErrorCode::kPermissionDenied);
  const auto wrong = unwrap_data_key(random_key(), made->wrapped, "acme", 1, 1);
  EXPECT_EQ(wrong.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(wrong.error().message.find("not the one that wrapped it"), std::string::npos);

  const crypto::AeadKey kek2 = random_key();
  const auto rewrapped = rewrap_data_key(kek, 1, kek2, 2, made->wrapped, "acme", 1);
  ASSERT_TRUE(rewrapped.ok());
  EXPECT_EQ(unwrap_data_key(kek2, *rewrapped, "acme", 1, 2)->id(), made->key.id());
}

TEST(VaultSealing, NamesMustBeShortAndFreeOfNul) {
  EXPECT_TRUE(check_name("acme", "tenant").ok());
  EXPECT_FALSE(check_name("", "tenant").ok());
  EXPECT_FALSE(check_name(std::string("a\0b", 3), "tenant").ok());
  EXPECT_FALSE(check_name(std::string(257, 'a'), "tenant").ok());
  EXPECT_TRUE(check_name(std::string(256, 'a'), "tenant").ok());
}

}  // namespace
}  // namespace mcpgate::vault
