#pragma once
// The SQLite backend of store::Store.
//
// Design:
//  * WAL journal, synchronous=NORMAL (a crash may lose the last transactions, never corrupt),
//    foreign keys on, busy_timeout so a second process waits instead of failing.
//  * One writer connection behind a mutex; every write is one explicit BEGIN IMMEDIATE
//    transaction, so the write lock is taken up front and a read-then-update (code consumption,
//    refresh rotation) can never interleave with another writer, here or in another process.
//  * A small pool of reader connections (PRAGMA query_only) for lookups; WAL lets them read
//    a consistent snapshot while the writer commits. bench/store_bench.cpp (BM_FindClient)
//    compares readers=0 (every read through the writer's mutex) with readers=4: on the 2-core
//    build machine 4 threads did about 2.8x the lookups per second with the pool.
//  * Every connection caches its prepared statements.
//  * ":memory:" uses the writer connection for everything (each in-memory connection would be
//    a separate database).
//  * The database file (and its -wal/-shm, which SQLite creates with the same mode) is created
//    0600: it holds password hashes and sealed keys.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "crypto/master_key.hpp"
#include "store/store.hpp"

namespace mcpgate::store {

struct SqliteOptions {
  std::string path;         // a file, or ":memory:"
  std::size_t readers = 4;  // reader connections (ignored for ":memory:")
  int busy_timeout_ms = 5000;
};

// Opens or creates the database, applies pending migrations, and ties it to `master_key`: the
// first open records the key's fingerprint; later opens with another key fail with
// kFailedPrecondition (signing keys sealed under the old key would not open). A database whose
// schema is newer than this binary is also kFailedPrecondition.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options,
                                                 const crypto::MasterKey& master_key);

// The production layout: <data_dir>/mcpgate.db and <data_dir>/master.key. The master key is
// created only for a new database; if the database already holds data sealed under a key and
// master.key is missing, this refuses to start (kFailedPrecondition) instead of generating a
// key that cannot open that data (ATTACKS row 184). A non-empty `tuning.path` puts the database
// elsewhere (store URL sqlite:PATH); master.key stays in data_dir.
Result<std::unique_ptr<Store>> open_sqlite_data_dir(const std::filesystem::path& data_dir,
                                                    const SqliteOptions& tuning = {});

}  // namespace mcpgate::store
