#include "store/sqlite_store.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "crypto/jwk.hpp"
#include "crypto/random.hpp"
#include "store/deprovision_test_support.hpp"
#include "store/schema.hpp"
#include "store/store_suite.hpp"

namespace mcpgate::store {
namespace {

namespace fs = std::filesystem;
using testing::StoreFactory;
using testing::StoreSuite;
using testing::kNow;
using testing::test_master_key;


// One scratch directory for the whole binary, removed at exit.
const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("mcpgate_store_test_" + crypto::random_id());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(scratch_dir(), ec);
  }
};

const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

std::unique_ptr<Store> open_or_die(const SqliteOptions& options, const crypto::MasterKey& key) {
  auto store = open_sqlite_store(options, key);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string fresh_path() {
  return (scratch_dir() / (crypto::random_id() + ".db")).string();
}

INSTANTIATE_TEST_SUITE_P(
    Sqlite,
    StoreSuite,
    ::testing::Values(
        StoreFactory{"Memory",
                     [] {
                       return open_or_die(SqliteOptions{":memory:", 0, 5000}, test_master_key());
                     }},
        StoreFactory{"File",
                     [] {
                       return open_or_die(SqliteOptions{fresh_path(), 4, 5000}, test_master_key());
                     }},
        StoreFactory{"FileNoReaders",
                     [] {
                       return open_or_die(SqliteOptions{fresh_path(), 0, 5000}, test_master_key());
                     }}),
    testing::store_factory_name);

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Everything on disk for a database: the file and its WAL/shared-memory companions.
std::string all_bytes(const std::string& db) {
  return read_file(db) + read_file(db + "-wal") + read_file(db + "-shm");
}

TEST(SqliteStoreTest, DatabaseFilesHoldNoSecretInClear) {
  const std::string path = fresh_path();
  const auto key = test_master_key();
  const std::string code = crypto::random_token();
  const std::string refresh = crypto::random_token();
  const std::string client_secret = crypto::random_token();
  const std::string registration_token = crypto::random_token();
  const auto signing_key = crypto::SigningKey::generate().value();
  const std::string pem = signing_key.to_pem().value();
  {
    auto store = open_or_die(SqliteOptions{path, 2, 5000}, key);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->create_user(User{"u1", "alice", "$argon2id$x", false, kNow}).ok());
    Client client;
    client.client_id = "c1";
    client.secret_hash = hash_secret(client_secret);
    client.registration_token_hash = hash_secret(registration_token);
    ASSERT_TRUE(store->create_client(client).ok());
    Grant grant{"g1", "u1", "c1", "s", "r", kNow, std::nullopt};
    AuthorizationCode record;
    record.code_hash = hash_secret(code);
    record.grant_id = "g1";
    record.client_id = "c1";
    record.user_id = "u1";
    record.expires_at = kNow + 60;
    ASSERT_TRUE(store->create_authorization_code(grant, record).ok());
    RefreshToken rt;
    rt.token_hash = hash_secret(refresh);
    rt.grant_id = "g1";
    rt.client_id = "c1";
    rt.expires_at = kNow + 60;
    rt.family_expires_at = kNow + 60;
    ASSERT_TRUE(store->create_refresh_token(rt).ok());
    SigningKeyRecord sk;
    sk.kid = signing_key.kid();
    sk.alg = "ES256";
    sk.private_pem = pem;
    sk.public_jwk = signing_key.public_jwk();
    ASSERT_TRUE(store->add_signing_key(sk).ok());
    // Check while the WAL still holds the writes, and again after close (checkpointed).
    const std::string live = all_bytes(path);
    for (const std::string& secret : {code, refresh, client_secret, registration_token}) {
      EXPECT_EQ(live.find(secret), std::string::npos);
    }
    EXPECT_EQ(live.find("PRIVATE KEY"), std::string::npos);
  }
  const std::string bytes = all_bytes(path);
  // Sanity: we are looking at the right bytes (the hashes are there).
  EXPECT_NE(bytes.find(hash_secret(code)), std::string::npos);
  EXPECT_NE(bytes.find(hash_secret(client_secret)), std::string::npos);
  for (const std::string& secret : {code, refresh, client_secret, registration_token}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos);
  }
  EXPECT_EQ(bytes.find("PRIVATE KEY"), std::string::npos);
  // The key's base64 body, a line of it, and the raw private scalar are absent too.
  const std::string pem_line = pem.substr(pem.find('\n') + 1, 40);
  EXPECT_EQ(bytes.find(pem_line), std::string::npos);
}

TEST(SqliteStoreTest, DatabaseFileIsPrivate) {
  const std::string path = fresh_path();
  auto store = open_or_die(SqliteOptions{path, 1, 5000}, test_master_key());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->create_user(User{"u1", "alice", "", false, kNow}).ok());
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st = {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600U) << file;
  }
}

TEST(SqliteStoreTest, MigrationsAreIdempotentAndDataPersists) {
  const std::string path = fresh_path();
  const auto key = test_master_key();
  {
    auto store = open_or_die(SqliteOptions{path, 1, 5000}, key);
    ASSERT_TRUE(store->create_user(User{"u1", "alice", "", false, kNow}).ok());
  }
  for (int i = 0; i < 2; ++i) {
    auto store = open_or_die(SqliteOptions{path, 1, 5000}, key);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->find_user("u1")->username, "alice");
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(
                db, "SELECT COUNT(*), MAX(version) FROM schema_migrations", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), static_cast<int>(migrations(Dialect::kSqlite).size()));
  EXPECT_EQ(sqlite3_column_int(stmt, 1), migrations(Dialect::kSqlite).back().version);
  sqlite3_finalize(stmt);
  // A schema from a newer binary is refused.
  ASSERT_EQ(
      sqlite3_exec(
          db, "INSERT INTO schema_migrations VALUES (999, 'future', 0)", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  const auto newer = open_sqlite_store(SqliteOptions{path, 1, 5000}, key);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().code, ErrorCode::kFailedPrecondition);
}

// Runs `sql` on the database file with plain sqlite3 (foreign keys on, as the store runs).
void exec_sqlite(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, ("PRAGMA foreign_keys = ON;" + sql).c_str(), nullptr, nullptr,
                              &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// A database as a version-6 binary left it (users, a grant and a consent), opened by this one:
// migration 7 rebuilds users; the rows stay, in the default organization, and the foreign keys
// from grants and consents still hold and still cascade.
TEST(SqliteStoreTest, MigrationFromVersion6KeepsUsersInTheDefaultOrganization) {
  const std::string path = fresh_path();
  std::string v6 = std::string(kCreateMigrationsTable) + ";";
  for (const auto& m : migrations(Dialect::kSqlite)) {
    if (m.version > 6) {
      break;
    }
    v6 += m.sql + ";INSERT INTO schema_migrations VALUES (" + std::to_string(m.version)
          + ", 'v', 0);";
  }
  v6 += "INSERT INTO users (id, username, username_key, password_hash, disabled, created_at)"
        " VALUES ('u1', 'Alice', 'alice', '', 0, 1), ('u2', 'bob', 'bob', '', 1, 2);"
        "INSERT INTO clients (client_id, kind, metadata, created_at)"
        " VALUES ('c1', 'static', '{}', 1);"
        "INSERT INTO grants (id, user_id, client_id, scope, resource, created_at)"
        " VALUES ('g1', 'u1', 'c1', 'mcp', 'https://r', 1);"
        "INSERT INTO consents (user_id, client_id, scope, resource, created_at, updated_at)"
        " VALUES ('u1', 'c1', 'mcp', 'https://r', 1, 1);";
  exec_sqlite(path, v6);

  auto store = open_or_die(SqliteOptions{path, 1, 5000}, test_master_key());
  ASSERT_NE(store, nullptr);
  const auto alice = store->find_user_by_username(kDefaultOrgId, "ALICE");
  ASSERT_TRUE(alice.ok()) << alice.error().message;
  EXPECT_EQ(alice->id, "u1");
  EXPECT_EQ(alice->org_id, kDefaultOrgId);
  EXPECT_EQ(alice->created_at, 1);
  EXPECT_TRUE(store->find_user("u2")->disabled);
  EXPECT_EQ(store->find_grant("g1")->user_id, "u1");  // the migration did not cascade
  EXPECT_EQ(store->find_organization(kDefaultOrgId)->name, "Default");
  // Per-organization uniqueness is in force, and the old global one is gone.
  ASSERT_TRUE(store->upsert_organization(Organization{"acme", "Acme", {}, kNow}).ok());
  User twin{"u3", "alice", "", false, kNow, "acme"};
  EXPECT_TRUE(store->create_user(twin).ok());
  twin.id = "u4";
  twin.org_id = kDefaultOrgId;
  EXPECT_EQ(store->create_user(twin).error().code, ErrorCode::kAlreadyExists);
  // grants and consents still reference the (rebuilt) users table.
  Grant orphan{"g2", "no-such-user", "c1", "mcp", "https://r", kNow, std::nullopt};
  AuthorizationCode code;
  code.code_hash = hash_secret("code");
  code.grant_id = "g2";
  code.client_id = "c1";
  code.user_id = "no-such-user";
  code.expires_at = kNow + 60;
  EXPECT_EQ(store->create_authorization_code(orphan, code).error().code,
            ErrorCode::kFailedPrecondition);
  store.reset();
  exec_sqlite(path, "DELETE FROM users WHERE id = 'u1'");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT (SELECT COUNT(*) FROM grants), (SELECT COUNT(*) FROM "
                               "consents), (SELECT COUNT(*) FROM pragma_foreign_key_list('grants')"
                               " WHERE \"table\" = 'users')",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 0);  // ON DELETE CASCADE still works
  EXPECT_EQ(sqlite3_column_int(stmt, 1), 0);
  EXPECT_EQ(sqlite3_column_int(stmt, 2), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, RefusesAnotherMasterKey) {
  const std::string path = fresh_path();
  ASSERT_NE(open_or_die(SqliteOptions{path, 1, 5000}, test_master_key()), nullptr);
  const auto other = open_sqlite_store(SqliteOptions{path, 1, 5000}, test_master_key());
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kFailedPrecondition);
}

TEST(SqliteStoreTest, SealedKeyRowMovedToAnotherKidDoesNotOpen) {
  // ATTACKS row 183: the sealed private key is bound to its kid.
  const std::string path = fresh_path();
  const auto key = test_master_key();
  auto store = open_or_die(SqliteOptions{path, 1, 5000}, key);
  const auto a = crypto::SigningKey::generate().value();
  const auto b = crypto::SigningKey::generate().value();
  for (const auto* k : {&a, &b}) {
    SigningKeyRecord r;
    r.kid = k->kid();
    r.alg = "ES256";
    r.private_pem = k->to_pem().value();
    r.public_jwk = k->public_jwk();
    ASSERT_TRUE(store->add_signing_key(r).ok());
  }
  ASSERT_TRUE(store->list_signing_keys().ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string swap =
      "UPDATE signing_keys SET private_key_sealed = (SELECT private_key_sealed FROM signing_keys"
      " WHERE kid = '"
      + a.kid() + "') WHERE kid = '" + b.kid() + "'";
  ASSERT_EQ(sqlite3_exec(db, swap.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const auto listed = store->list_signing_keys();
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, ErrorCode::kFailedPrecondition);
}

TEST(SqliteStoreTest, DataDirCreatesTheKeyOnceAndRefusesToStartWithoutIt) {
  const fs::path dir = scratch_dir() / ("data_" + crypto::random_id());
  {
    auto store = open_sqlite_data_dir(dir);
    ASSERT_TRUE(store.ok()) << store.error().message;
  }
  struct stat st = {};
  ASSERT_EQ(::stat((dir / "master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(st.st_size, 32);
  ASSERT_EQ(::stat((dir / "mcpgate.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  const std::string key_bytes = read_file(dir / "master.key");
  ASSERT_TRUE(open_sqlite_data_dir(dir).ok());
  EXPECT_EQ(read_file(dir / "master.key"), key_bytes);

  // ATTACKS row 184: key missing -> refuse, never silently make a new one.
  fs::remove(dir / "master.key");
  const auto missing = open_sqlite_data_dir(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(missing.error().message.find("restore master.key"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "master.key"));

  // Key wrong -> refuse.
  {
    std::ofstream out(dir / "master.key", std::ios::binary);
    out << crypto::random_bytes(32);
  }
  fs::permissions(dir / "master.key", fs::perms::owner_read | fs::perms::owner_write);
  const auto wrong = open_sqlite_data_dir(dir);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kFailedPrecondition);
}

// Two store instances on one file behave like two processes: SQLite's locks (BEGIN IMMEDIATE,
// busy_timeout) are then the only thing keeping single use single.
TEST(SqliteStoreTest, SingleUseHoldsAcrossTwoStoresOnOneFile) {
  const std::string path = fresh_path();
  const auto key = test_master_key();
  auto a = open_or_die(SqliteOptions{path, 2, 10000}, key);
  auto b = open_or_die(SqliteOptions{path, 2, 10000}, key);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->create_user(User{"u1", "alice", "", false, kNow}).ok());
  Client client;
  client.client_id = "c1";
  ASSERT_TRUE(a->create_client(client).ok());
  Grant grant{"g1", "u1", "c1", "s", "r", kNow, std::nullopt};
  AuthorizationCode record;
  record.code_hash = hash_secret("the code");
  record.grant_id = "g1";
  record.client_id = "c1";
  record.user_id = "u1";
  record.expires_at = kNow + 60;
  ASSERT_TRUE(a->create_authorization_code(grant, record).ok());
  RefreshToken rt;
  rt.token_hash = hash_secret("refresh-0");
  rt.grant_id = "g1";
  rt.client_id = "c1";
  rt.expires_at = kNow + 60;
  rt.family_expires_at = kNow + 60;
  ASSERT_TRUE(b->create_refresh_token(rt).ok());

  std::atomic<int> consumed{0};
  std::atomic<int> rotated{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      Store& s = (i % 2 == 0) ? *a : *b;
      const auto c = s.consume_authorization_code(hash_secret("the code"), kNow + 1);
      if (!c.ok()) {
        ++errors;
      } else if (c->outcome == CodeOutcome::kConsumed) {
        ++consumed;
      }
      RotateRequest req;
      req.old_hash = hash_secret("refresh-0");
      req.client_id = "c1";
      req.new_hash = hash_secret("refresh-1-" + std::to_string(i));
      req.new_expires_at = kNow + 60;
      req.now = kNow + 1;
      const auto r = s.rotate_refresh_token(req);
      if (!r.ok()) {
        ++errors;
      } else if (r->outcome == RotateOutcome::kRotated) {
        ++rotated;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(consumed, 1);
  EXPECT_EQ(rotated, 1);
}

// Deprovisioning is one transaction: a failure at its last step (a trigger injected into the
// file) leaves the user enabled, the grants live, no revocation entry and the vault untouched.
TEST(SqliteStoreTest, attacks_075_failed_deprovisioning_changes_nothing) {
  const std::string path = fresh_path();
  auto store = open_or_die(SqliteOptions{path, 1, 5000}, test_master_key());
  ASSERT_NE(store, nullptr);
  const testing::DeprovisionFixture f = testing::seed_deprovision_fixture(*store);
  const std::int64_t revocations_before = store->revoked_since(0, 1000)->size();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* inject =
      "CREATE TRIGGER fail_suspend BEFORE UPDATE OF suspended_at ON vault_connections"
      " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
      "CREATE TRIGGER fail_delete BEFORE DELETE ON users"
      " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;";
  ASSERT_EQ(sqlite3_exec(db, inject, nullptr, nullptr, nullptr), SQLITE_OK);
  for (const auto mode : {DeprovisionMode::kDisable, DeprovisionMode::kDelete}) {
    const auto r = store->deprovision_user(f.user.id, mode, testing::kDeprovisionT0 + 5);
    ASSERT_FALSE(r.ok());
    testing::expect_fixture_untouched(*store, f);
    EXPECT_EQ(static_cast<std::int64_t>(store->revoked_since(0, 1000)->size()), revocations_before);
  }
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER fail_suspend; DROP TRIGGER fail_delete", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const auto r = store->deprovision_user(f.user.id, DeprovisionMode::kDisable, testing::kDeprovisionT0 + 5);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->revoked.size(), f.jtis.size());
}

}  // namespace
}  // namespace mcpgate::store
