#include "vault/cli.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "vault/test_support.hpp"

namespace mcpgate::vault {
namespace {

using testing::keyring_of;
using testing::random_master_key;

using testing::kNow;

TEST(VaultCli, StatusAndRotateKeyReportCountsAndNoSecrets) {
  const crypto::MasterKey m1 = random_master_key();
  const crypto::MasterKey m2 = random_master_key();
  auto store = testing::open_store(testing::fresh_db_path(), random_master_key());
  ASSERT_NE(store, nullptr);
  {
    Vault v1(*store, keyring_of({{1, m1}}));
    ASSERT_TRUE(v1.put_connection("acme", "alice", "github",
                                  TokenSet{"SECRET-AT", "SECRET-RT", kNow, "repo", ""}, kNow)
                    .ok());
    ASSERT_TRUE(
        v1.put_connection("acme", "bob", "github", TokenSet{"SECRET-AT2", "", kNow, "", ""}, kNow).ok());
  }
  Vault vault(*store, keyring_of({{1, m1}, {2, m2}}));
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_vault_status(vault, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("master keys loaded: 1, 2 (active: 2)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("tenant acme: data key 1 (active) wrapped under master key 1, 2 connections"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("run `mcpgate vault rotate-key`"), std::string::npos);

  out.str("");
  ASSERT_EQ(run_vault_rotate_key(vault, RotateOptions{true, ""}, kNow + 1, out, err), 0)
      << err.str();
  EXPECT_NE(out.str().find("re-wrapped 1 data keys"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("tenant acme: data key 2 is active"), std::string::npos) << out.str();

  out.str("");
  ASSERT_EQ(run_vault_status(vault, out, err), 0);
  EXPECT_NE(out.str().find("data keys: 2 (2 under master key 2)"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("SECRET"), std::string::npos);
  EXPECT_EQ(out.str().find("rotate-key"), std::string::npos);

  // A keyring without the old version: the DEK cannot be re-wrapped; exit 1, named.
  auto other = testing::open_store(testing::fresh_db_path(), random_master_key());
  {
    Vault v1(*other, keyring_of({{1, m1}}));
    ASSERT_TRUE(v1.put_connection("t", "u", "c", TokenSet{"a", "", 0, "", ""}, kNow).ok());
  }
  Vault only3(*other, keyring_of({{3, random_master_key()}}));
  err.str("");
  EXPECT_EQ(run_vault_rotate_key(only3, RotateOptions{}, kNow, out, err), 1);
  EXPECT_NE(err.str().find("master key version 1 is not configured"), std::string::npos)
      << err.str();
}

}  // namespace
}  // namespace mcpgate::vault
