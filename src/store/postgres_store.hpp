#pragma once
// The PostgreSQL backend of store::Store: what several mcpgate replicas share.
//
// Design:
//  * A bounded pool of libpq connections (postgres_connection.hpp): a call waits up to
//    acquire_timeout for a free connection, then fails with kUnavailable. Connections are opened
//    lazily; a broken one is dropped and replaced, with backoff while the database is down.
//  * Every method is one transaction at READ COMMITTED. Single use across processes comes from
//    row locks taken in the same transaction: the code or refresh token row is selected FOR
//    UPDATE (a concurrent consumer waits, then sees it spent) and its grant FOR SHARE (a
//    revocation waits for an issuance in flight, then revokes what it issued). The conditional
//    UPDATE ... WHERE consumed_at/used_at IS NULL stays as a second guard.
//  * Deadlocks (40P01) and serialization failures (40001) roll back and rerun the transaction,
//    up to 5 times; other failures map to the store contract's codes (23505 -> kAlreadyExists,
//    connection loss and timeouts -> kUnavailable).
//  * statement_timeout is set on every connection; a runaway query is cancelled (kUnavailable).
//  * Migrations (schema.hpp, PostgreSQL dialect) run at open under pg_advisory_lock, so replicas
//    starting together apply them once; schema_migrations records what has run.
//  * The URL's password is never logged: messages show redact_url(url).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "crypto/master_key.hpp"
#include "store/store.hpp"

namespace mcpgate::store {

struct PostgresOptions {
  std::string url;       // postgresql://user@host:port/db?sslmode=...
  std::string password;  // overrides the URL's password when not empty
  std::size_t pool_size = 8;
  std::chrono::milliseconds acquire_timeout{5000};
  int statement_timeout_ms = 5000;
  int connect_timeout_s = 5;
  std::string schema;  // optional search_path ([a-z0-9_]+); created if missing
  std::string application_name = "mcpgate";
};

// Connects, applies pending migrations and ties the database to `master_key` (as
// open_sqlite_store does: a database initialised under another key is kFailedPrecondition).
// kUnavailable when the database cannot be reached.
Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options,
                                                   const crypto::MasterKey& master_key);

// The production form: the master key is <data_dir>/master.key, which every replica must share
// (copy it, or mount the same secret). It is created only when the database has never been
// initialised; if the database holds data sealed under a key and master.key is missing, this
// refuses to start rather than generate a key that cannot open it.
Result<std::unique_ptr<Store>> open_postgres_data_dir(const PostgresOptions& options,
                                                      const std::filesystem::path& data_dir);

// Applies pending migrations and exits (`mcpgate migrate`). Returns the schema version.
Result<int> migrate_postgres(const PostgresOptions& options);

}  // namespace mcpgate::store
