#include "vault/keyring.hpp"

#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "crypto/encoding.hpp"
#include "vault/test_support.hpp"

namespace mcpgate::vault {
namespace {

using testing::scratch_dir;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    const auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

std::string key_file(const std::string& bytes, mode_t mode = 0600) {
  const auto path = scratch_dir() / (crypto::random_id() + ".key");
  std::ofstream(path, std::ios::binary) << bytes;
  ::chmod(path.c_str(), mode);
  return path.string();
}

TEST(VaultKeyring, RefusesToStartWithoutAnyMasterKey) {
  const auto ring = load_keyring(VaultKeyOptions{}, scratch_dir() / "none", env_of({}));
  ASSERT_FALSE(ring.ok());
  EXPECT_EQ(ring.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(ring.error().message.find("MCPGATE_VAULT_MASTER_KEY"), std::string::npos);
}

TEST(VaultKeyring, LoadsTheEnvironmentKeyAtItsVersion) {
  const std::string raw = crypto::random_bytes(32);
  auto ring = load_keyring(VaultKeyOptions{}, scratch_dir(),
                           env_of({{"MCPGATE_VAULT_MASTER_KEY", crypto::base64url_encode(raw)},
                                   {"MCPGATE_VAULT_MASTER_KEY_VERSION", "3"}}));
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  EXPECT_EQ(ring->active_version(), 3);
  ASSERT_NE(ring->kek(3), nullptr);
  EXPECT_EQ(ring->kek(1), nullptr);

  // The same bytes give the same KEK: another replica with the same variable agrees.
  MasterKeyring other;
  ASSERT_TRUE(other.add(3, crypto::MasterKey::from_bytes(raw).value()).ok());
  EXPECT_EQ(other.kek(3)->id(), ring->kek(3)->id());
}

TEST(VaultKeyring, RejectsMalformedEnvironmentKeysWithoutEchoingThem) {
  for (const std::string& bad : {std::string("c2hvcnQ"), std::string("not base64!"),
                                 crypto::base64url_encode(std::string(33, 'k'))}) {
    const auto ring = load_keyring(VaultKeyOptions{}, scratch_dir(),
                                   env_of({{"MCPGATE_VAULT_MASTER_KEY", bad}}));
    ASSERT_FALSE(ring.ok());
    EXPECT_EQ(ring.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(ring.error().message.find(bad), std::string::npos);
  }
  const auto bad_version = load_keyring(
      VaultKeyOptions{}, scratch_dir(),
      env_of({{"MCPGATE_VAULT_MASTER_KEY", crypto::base64url_encode(crypto::random_bytes(32))},
              {"MCPGATE_VAULT_MASTER_KEY_VERSION", "0"}}));
  EXPECT_EQ(bad_version.error().code, ErrorCode::kInvalidArgument);
}

TEST(VaultKeyring, ConfiguredFilesAndVariablesMakeVersionsForRotation) {
  VaultKeyOptions options;
  options.master_keys.push_back({1, key_file(crypto::random_bytes(32)), ""});
  options.master_keys.push_back({2, "", "VAULT_KEY_2"});
  const auto env = env_of({{"VAULT_KEY_2", crypto::base64url_encode(crypto::random_bytes(32))}});
  auto ring = load_keyring(options, scratch_dir(), env);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  EXPECT_EQ(ring->versions(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(ring->active_version(), 2);  // the highest by default

  options.active_master_key = 1;
  EXPECT_EQ(load_keyring(options, scratch_dir(), env)->active_version(), 1);
  options.active_master_key = 5;
  EXPECT_EQ(load_keyring(options, scratch_dir(), env).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(VaultKeyring, RefusesBadKeyFilesAndDuplicateVersions) {
  VaultKeyOptions loose;
  loose.master_keys.push_back({1, key_file(crypto::random_bytes(32), 0644), ""});
  EXPECT_EQ(load_keyring(loose, scratch_dir(), env_of({})).error().code,
            ErrorCode::kFailedPrecondition);
  VaultKeyOptions short_key;
  short_key.master_keys.push_back({1, key_file("short"), ""});
  EXPECT_FALSE(load_keyring(short_key, scratch_dir(), env_of({})).ok());
  VaultKeyOptions missing;
  missing.master_keys.push_back({1, (scratch_dir() / "absent.key").string(), ""});
  EXPECT_FALSE(load_keyring(missing, scratch_dir(), env_of({})).ok());
  VaultKeyOptions both;
  both.master_keys.push_back({1, key_file(crypto::random_bytes(32)), "X"});
  EXPECT_EQ(load_keyring(both, scratch_dir(), env_of({})).error().code,
            ErrorCode::kInvalidArgument);
  VaultKeyOptions unset_env;
  unset_env.master_keys.push_back({1, "", "UNSET_VARIABLE"});
  EXPECT_EQ(load_keyring(unset_env, scratch_dir(), env_of({})).error().code,
            ErrorCode::kFailedPrecondition);

  VaultKeyOptions twice;
  twice.master_keys.push_back({1, key_file(crypto::random_bytes(32)), ""});
  const auto ring = load_keyring(
      twice, scratch_dir(),
      env_of({{"MCPGATE_VAULT_MASTER_KEY", crypto::base64url_encode(crypto::random_bytes(32))}}));
  ASSERT_FALSE(ring.ok());
  EXPECT_NE(ring.error().message.find("configured twice"), std::string::npos);
}

TEST(VaultKeyring, DemoModeDerivesVersionOneFromTheDataDirKey) {
  const auto dir = scratch_dir() / ("demo-" + crypto::random_id());
  std::filesystem::create_directories(dir);
  VaultKeyOptions demo;
  demo.data_dir_key = true;
  const auto first = load_keyring(demo, dir, env_of({}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir / "master.key"));
  const auto again = load_keyring(demo, dir, env_of({}));
  EXPECT_EQ(first->kek(1)->id(), again->kek(1)->id());
  // The vault's KEK is derived, never the data-dir key itself.
  const auto file_key = crypto::MasterKey::load(dir / "master.key",
                                                crypto::MasterKey::Create::kNever);
  EXPECT_NE(file_key->aead_key("").id(), first->kek(1)->id());
}

}  // namespace
}  // namespace mcpgate::vault
