#pragma once
// Shared helpers of the vault tests: a scratch directory, SQLite stores and keyrings.

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "crypto/master_key.hpp"
#include "crypto/random.hpp"
#include "store/sqlite_store.hpp"
#include "vault/keyring.hpp"

namespace mcpgate::vault::testing {

inline constexpr store::Timestamp kNow = 1'700'000'000;

inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("mcpgate_vault_test_" + crypto::random_id());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::string fresh_db_path() {
  return (scratch_dir() / (crypto::random_id() + ".db")).string();
}

inline crypto::MasterKey random_master_key() {
  return crypto::MasterKey::from_bytes(crypto::random_bytes(32)).value();
}

// The store's own master key (it seals signing keys) is unrelated to the vault's keyring.
inline std::unique_ptr<store::Store> open_store(const std::string& path,
                                                const crypto::MasterKey& store_key) {
  auto s = store::open_sqlite_store(store::SqliteOptions{path, 2, 5000}, store_key);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

inline MasterKeyring keyring_of(std::initializer_list<std::pair<std::int64_t, crypto::MasterKey>> keys) {
  MasterKeyring ring;
  for (const auto& [v, k] : keys) {
    EXPECT_TRUE(ring.add(v, k).ok());
  }
  return ring;
}

}  // namespace mcpgate::vault::testing
