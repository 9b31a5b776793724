#pragma once
// Store selection: one URL names the backend and where its data lives.
//
//   ""                     SQLite in <data_dir>/mcpgate.db (the default)
//   sqlite:PATH            SQLite in the file PATH (sqlite::memory: for a throwaway store)
//   postgresql://... or    PostgreSQL (libpq URI: user, host or socket folder, port, database,
//   postgres://...         sslmode, ...); replicas share it
//
// Whatever the backend, the master key that seals the signing keys is <data_dir>/master.key:
// every replica on one PostgreSQL database needs the same file.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace mcpgate::store {

enum class StoreKind { kSqlite, kPostgres };

struct StoreUrl {
  StoreKind kind = StoreKind::kSqlite;
  std::string location;  // SQLite: a file path ("" = <data_dir>/mcpgate.db); PostgreSQL: the URL
};

// kInvalidArgument for anything that is not one of the forms above (the message shows the URL
// with any password redacted).
Result<StoreUrl> parse_store_url(std::string_view url);

// The URL as it may appear in logs and messages: passwords replaced by "***".
std::string redacted_store_url(std::string_view url);

struct OpenStoreOptions {
  std::filesystem::path data_dir = "./data";
  std::string password;  // PostgreSQL: overrides the URL's password when not empty
  std::size_t pool_size = 8;
  int statement_timeout_ms = 5000;
  std::chrono::milliseconds acquire_timeout{5000};
};

// Opens (creating if needed) and migrates the store named by `url`.
Result<std::unique_ptr<Store>> open_store(std::string_view url, const OpenStoreOptions& options);

// Applies pending migrations and returns the schema version (`mcpgate migrate`). For SQLite this
// opens the store, which migrates it; for PostgreSQL it needs no master key.
Result<int> migrate_store(std::string_view url, const OpenStoreOptions& options);

}  // namespace mcpgate::store
