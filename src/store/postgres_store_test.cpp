#include "store/postgres_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/random.hpp"
#include "store/postgres_connection.hpp"
#include "store/postgres_listener.hpp"
#include "store/deprovision_test_support.hpp"
#include "store/schema.hpp"
#include "store/store_suite.hpp"

// These tests need a PostgreSQL server: MCPGATE_TEST_PG_URL (scripts/pg-test-cluster start
// prints one; `make test` sets it). Without it they skip, unless MCPGATE_REQUIRE_PG=1 (set by
// `make test` and CI), which turns the skip into a failure so a broken setup cannot pass
// silently. Every store gets its own schema, so tests never see each other's rows.

namespace mcpgate::store {
namespace {

using testing::StoreFactory;
using testing::StoreSuite;
using testing::kNow;
using testing::test_master_key;


std::string test_url() {
  const char* url = std::getenv("MCPGATE_TEST_PG_URL");
  return url != nullptr ? url : "";
}

bool pg_required() {
  const char* required = std::getenv("MCPGATE_REQUIRE_PG");
  return required != nullptr && std::string(required) == "1";
}

// Call first in a test: skips (or fails, when required) without a server.
#define REQUIRE_PG()                                                                       \
  do {                                                                                     \
    if (test_url().empty()) {                                                              \
      if (pg_required()) {                                                                 \
        FAIL() << "MCPGATE_REQUIRE_PG=1 but MCPGATE_TEST_PG_URL is unset";                 \
      }                                                                                    \
      GTEST_SKIP() << "MCPGATE_TEST_PG_URL is unset (scripts/pg-test-cluster start)";       \
    }                                                                                      \
  } while (false)

std::string fresh_schema() {
  std::string id = crypto::random_id();
  std::string schema = "t_";
  for (const char ch : id) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
      schema += ch;
    } else if (ch >= 'A' && ch <= 'Z') {
      schema += static_cast<char>(ch - 'A' + 'a');
    }
  }
  return schema;
}

PostgresOptions options_for(const std::string& schema) {
  PostgresOptions o;
  o.url = test_url();
  o.schema = schema;
  o.pool_size = 8;
  return o;
}

pg::ConnectOptions connect_options(const std::string& url, int statement_timeout_ms,
                                   const std::string& schema) {
  pg::ConnectOptions o;
  o.url = url;
  o.statement_timeout_ms = statement_timeout_ms;
  o.schema = schema;
  return o;
}

std::unique_ptr<Store> open_or_die(const PostgresOptions& options, const crypto::MasterKey& key) {
  auto store = open_postgres_store(options, key);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(store).value() : nullptr;
}

std::unique_ptr<Store> make_suite_store() {
  if (test_url().empty()) {
    if (pg_required()) {
      ADD_FAILURE() << "MCPGATE_REQUIRE_PG=1 but MCPGATE_TEST_PG_URL is unset";
    }
    return nullptr;  // the suite skips: "Postgres backend unavailable"
  }
  return open_or_die(options_for(fresh_schema()), test_master_key());
}

INSTANTIATE_TEST_SUITE_P(Postgres,
                         StoreSuite,
                         ::testing::Values(StoreFactory{"Postgres", make_suite_store}),
                         testing::store_factory_name);

TEST(PostgresUrlTest, RedactsPasswords) {
  EXPECT_EQ(pg::redact_url("postgresql://app:s3cret@db:5432/gate"),
            "postgresql://app:***@db:5432/gate");
  EXPECT_EQ(pg::redact_url("postgres://db/gate?user=app&password=s3cret&sslmode=require"),
            "postgres://db/gate?user=app&password=***&sslmode=require");
  EXPECT_EQ(pg::redact_url("host=db password=s3cret dbname=gate"),
            "host=db password=*** dbname=gate");
  EXPECT_EQ(pg::redact_url("postgresql://app@db/gate"), "postgresql://app@db/gate");
}

TEST(PostgresStoreTest, UnreachableServerIsUnavailableAndTheMessageHidesThePassword) {
  PostgresOptions o;
  // A socket folder that does not exist: fails at once, without any network.
  o.url = "postgresql://app:hunter2@%2Fnonexistent%2Fmcpgate:5432/gate";
  o.connect_timeout_s = 1;
  auto store = open_postgres_store(o, test_master_key());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.error().message.find("hunter2"), std::string::npos) << store.error().message;
}

TEST(PostgresStoreTest, RefusesADatabaseInitialisedUnderAnotherMasterKey) {
  REQUIRE_PG();
  const auto options = options_for(fresh_schema());
  ASSERT_NE(open_or_die(options, test_master_key()), nullptr);
  auto again = open_postgres_store(options, test_master_key());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

TEST(PostgresStoreTest, ReplicasStartingTogetherMigrateOnce) {
  REQUIRE_PG();
  const auto options = options_for(fresh_schema());
  const auto key = test_master_key();
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<Store>> stores(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      auto s = open_postgres_store(options, key);
      EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
      if (s.ok()) {
        stores[static_cast<std::size_t>(i)] = std::move(s).value();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto version = migrate_postgres(options);
  ASSERT_TRUE(version.ok()) << version.error().message;
  const auto all = migrations(Dialect::kPostgres);
  EXPECT_EQ(*version, all.back().version);
  // Each migration was recorded exactly once.
  auto conn = pg::Connection::open(connect_options(options.url, 5000, options.schema));
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto s = (*conn)->prepare("SELECT COUNT(*) FROM schema_migrations");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->step().value_or(false));
  EXPECT_EQ(s->integer(0), static_cast<std::int64_t>(all.size()));
}

// A schema as a version-6 binary left it, opened by this one: migration 7 adds org_id (the
// default organization for every existing user) and swaps global username uniqueness for
// uniqueness per organization; the grant referencing a user survives.
TEST(PostgresStoreTest, MigrationFromVersion6KeepsUsersInTheDefaultOrganization) {
  REQUIRE_PG();
  const auto options = options_for(fresh_schema());
  {
    auto conn = pg::Connection::open(connect_options(options.url, 5000, options.schema));
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    auto& c = **conn;
    ASSERT_TRUE(c.exec(("CREATE SCHEMA " + options.schema).c_str()).ok());
    ASSERT_TRUE(c.exec(kCreateMigrationsTable).ok());
    for (const auto& m : migrations(Dialect::kPostgres)) {
      if (m.version > 6) {
        break;
      }
      const std::string sql = m.sql + (m.sql.empty() ? "" : ";")
                              + "INSERT INTO schema_migrations VALUES ("
                              + std::to_string(m.version) + ", 'v', 0)";
      const auto applied = c.exec(sql.c_str());
      ASSERT_TRUE(applied.ok()) << m.version << ": " << applied.error().message;
    }
    const auto rows = c.exec(
        "INSERT INTO users (id, username, username_key, password_hash, disabled, created_at)"
        " VALUES ('u1', 'Alice', 'alice', '', 0, 1), ('u2', 'bob', 'bob', '', 1, 2);"
        "INSERT INTO clients (client_id, kind, metadata, created_at)"
        " VALUES ('c1', 'static', '{}', 1);"
        "INSERT INTO grants (id, user_id, client_id, scope, resource, created_at)"
        " VALUES ('g1', 'u1', 'c1', 'mcp', 'https://r', 1)");
    ASSERT_TRUE(rows.ok()) << rows.error().message;
  }
  auto store = open_or_die(options, test_master_key());
  ASSERT_NE(store, nullptr);
  const auto alice = store->find_user_by_username(kDefaultOrgId, "ALICE");
  ASSERT_TRUE(alice.ok()) << alice.error().message;
  EXPECT_EQ(alice->id, "u1");
  EXPECT_EQ(alice->org_id, kDefaultOrgId);
  EXPECT_EQ(store->find_user("u2")->org_id, kDefaultOrgId);
  EXPECT_EQ(store->find_grant("g1")->user_id, "u1");
  EXPECT_EQ(store->find_organization(kDefaultOrgId)->name, "Default");
  ASSERT_TRUE(store->upsert_organization(Organization{"acme", "Acme", {}, kNow}).ok());
  User twin{"u3", "alice", "", false, kNow, "acme"};
  EXPECT_TRUE(store->create_user(twin).ok());
  twin.id = "u4";
  twin.org_id = kDefaultOrgId;
  EXPECT_EQ(store->create_user(twin).error().code, ErrorCode::kAlreadyExists);
}

// Two stores with separate pools on one database behave as two replicas: of many concurrent
// exchanges of one code spread over both, exactly one wins.
TEST(PostgresStoreTest, CodeExchangeIsExactlyOnceAcrossReplicas) {
  REQUIRE_PG();
  const auto options = options_for(fresh_schema());
  const auto key = test_master_key();
  auto a = open_or_die(options, key);
  auto b = open_or_die(options, key);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->create_user(User{"u1", "alice", "", false, kNow}).ok());
  Client client;
  client.client_id = "c1";
  client.created_at = kNow;
  ASSERT_TRUE(a->create_client(client).ok());
  Grant grant{"g1", "u1", "c1", "mcp", "https://r", kNow, std::nullopt};
  AuthorizationCode code;
  code.code_hash = hash_secret("the code");
  code.grant_id = "g1";
  code.client_id = "c1";
  code.user_id = "u1";
  code.expires_at = kNow + 600;
  ASSERT_TRUE(a->create_authorization_code(grant, code).ok());

  std::atomic<int> consumed{0};
  std::atomic<int> replayed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    Store* store = (i % 2 == 0) ? a.get() : b.get();
    threads.emplace_back([&, store] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      auto r = store->consume_authorization_code(code.code_hash, kNow + 1);
      ASSERT_TRUE(r.ok()) << r.error().message;
      if (r->outcome == CodeOutcome::kConsumed) {
        ++consumed;
      } else if (r->outcome == CodeOutcome::kAlreadyUsed) {
        ++replayed;
      }
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(consumed.load(), 1);
  EXPECT_EQ(replayed.load(), 11);
}

// A revocation racing rotations on another replica never leaves a live successor behind.
TEST(PostgresStoreTest, RevocationRacingRotationLeavesNoLiveToken) {
  REQUIRE_PG();
  const auto options = options_for(fresh_schema());
  const auto key = test_master_key();
  auto a = open_or_die(options, key);
  auto b = open_or_die(options, key);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->create_user(User{"u1", "alice", "", false, kNow}).ok());
  Client client;
  client.client_id = "c1";
  client.created_at = kNow;
  ASSERT_TRUE(a->create_client(client).ok());
  for (int round = 0; round < 10; ++round) {
    const std::string gid = "g" + std::to_string(round);
    Grant grant{gid, "u1", "c1", "mcp", "https://r", kNow, std::nullopt};
    AuthorizationCode code;
    code.code_hash = hash_secret("code" + gid);
    code.grant_id = gid;
    code.client_id = "c1";
    code.user_id = "u1";
    code.expires_at = kNow + 600;
    ASSERT_TRUE(a->create_authorization_code(grant, code).ok());
    RefreshToken first;
    first.token_hash = hash_secret("rt0" + gid);
    first.grant_id = gid;
    first.client_id = "c1";
    first.expires_at = kNow + 3600;
    first.family_expires_at = kNow + 86400;
    ASSERT_TRUE(a->create_refresh_token(first).ok());

    std::thread rotator([&] {
      std::string current = "rt0" + gid;
      for (int i = 1; i < 20; ++i) {
        RotateRequest r;
        r.old_hash = hash_secret(current);
        r.client_id = "c1";
        const std::string next = "rt" + std::to_string(i) + gid;
        r.new_hash = hash_secret(next);
        r.new_expires_at = kNow + 3600;
        r.now = kNow + i;
        auto out = a->rotate_refresh_token(r);
        ASSERT_TRUE(out.ok()) << out.error().message;
        if (out->outcome != RotateOutcome::kRotated) {
          return;
        }
        current = next;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(round));
    auto revoked = b->revoke_grant(gid, kNow + 5);
    ASSERT_TRUE(revoked.ok()) << revoked.error().message;
    rotator.join();
    // Every token of the family is revoked, including any successor issued during the race.
    for (int i = 0; i < 20; ++i) {
      auto t = a->find_refresh_token(hash_secret("rt" + std::to_string(i) + gid));
      if (t.ok()) {
        EXPECT_TRUE(t->revoked_at.has_value()) << "round " << round << " token " << i;
      }
    }
  }
}

TEST(PostgresStoreTest, ExhaustedPoolIsUnavailableAfterTheAcquireTimeout) {
  REQUIRE_PG();
  pg::PoolOptions o;
  o.connect.url = test_url();
  o.size = 1;
  o.acquire_timeout = std::chrono::milliseconds(100);
  auto pool = pg::Pool::open(o);
  ASSERT_TRUE(pool.ok()) << pool.error().message;
  auto held = (*pool)->acquire();
  ASSERT_TRUE(held.ok());
  const auto start = std::chrono::steady_clock::now();
  auto second = (*pool)->acquire();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(PostgresStoreTest, StatementTimeoutCancelsARunawayQuery) {
  REQUIRE_PG();
  auto conn = pg::Connection::open(connect_options(test_url(), 100, ""));
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto s = (*conn)->prepare("SELECT pg_sleep(2)");
  ASSERT_TRUE(s.ok());
  auto r = s->run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ((*conn)->last_sqlstate(), "57014");
}

TEST(PostgresStoreTest, ConnectionsKilledByTheServerAreReplacedTransparently) {
  REQUIRE_PG();
  // A name of its own, so only this store's connections are killed (ctest runs other test
  // processes on the same database at the same time).
  auto options = options_for(fresh_schema());
  options.application_name = "mcpgate_" + options.schema;
  auto store = open_or_die(options, test_master_key());
  ASSERT_NE(store, nullptr);
  // Kill every backend of this store: the pool's idle connections are now dead.
  {
    auto killer = pg::Connection::open(connect_options(test_url(), 5000, ""));
    ASSERT_TRUE(killer.ok());
    auto s = (*killer)->prepare(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND application_name = ?");
    ASSERT_TRUE(s.ok());
    s->bind(options.application_name);
    auto killed = s->step();
    ASSERT_TRUE(killed.ok());
    ASSERT_TRUE(*killed) << "no connection of the store was found";
  }
  // The dead connections are noticed and replaced inside the calls: nothing fails.
  auto missing = store->find_user("nobody");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound) << missing.error().message;
  const Status created = store->create_user(User{"u1", "alice", "", false, kNow});
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(store->find_user("u1").ok());
}

TEST(PostgresStoreTest, TextWithANulByteIsRefused) {
  REQUIRE_PG();
  auto store = open_or_die(options_for(fresh_schema()), test_master_key());
  ASSERT_NE(store, nullptr);
  auto r = store->create_user(User{"u1", std::string("ali\0ce", 6), "", false, kNow});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

// Deprovisioning is one transaction: a failure at its last step (a trigger injected into the
// schema) leaves the user enabled, the grants live, no revocation entry and the vault untouched.
TEST(PostgresStoreTest, attacks_075_failed_deprovisioning_changes_nothing) {
  REQUIRE_PG();
  const auto options = options_for(fresh_schema());
  auto store = open_or_die(options, test_master_key());
  ASSERT_NE(store, nullptr);
  const testing::DeprovisionFixture f = testing::seed_deprovision_fixture(*store);
  const std::size_t revocations_before = store->revoked_since(0, 1000)->size();
  auto admin = pg::Connection::open(connect_options(options.url, 5000, options.schema));
  ASSERT_TRUE(admin.ok()) << admin.error().message;
  const auto injected = (*admin)->exec(
      "CREATE FUNCTION fail_deprovisioning() RETURNS trigger LANGUAGE plpgsql AS $fn$"
      " BEGIN RAISE EXCEPTION 'injected failure'; END $fn$;"
      "CREATE TRIGGER fail_suspend BEFORE UPDATE OF suspended_at ON vault_connections"
      " FOR EACH ROW EXECUTE FUNCTION fail_deprovisioning();"
      "CREATE TRIGGER fail_delete BEFORE DELETE ON users"
      " FOR EACH ROW EXECUTE FUNCTION fail_deprovisioning()");
  ASSERT_TRUE(injected.ok()) << injected.error().message;
  for (const auto mode : {DeprovisionMode::kDisable, DeprovisionMode::kDelete}) {
    const auto r = store->deprovision_user(f.user.id, mode, testing::kDeprovisionT0 + 5);
    ASSERT_FALSE(r.ok());
    testing::expect_fixture_untouched(*store, f);
    EXPECT_EQ(store->revoked_since(0, 1000)->size(), revocations_before);
  }
  ASSERT_TRUE((*admin)->exec("DROP TRIGGER fail_suspend ON vault_connections;"
                             "DROP TRIGGER fail_delete ON users").ok());
  const auto r =
      store->deprovision_user(f.user.id, DeprovisionMode::kDisable, testing::kDeprovisionT0 + 5);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->revoked.size(), f.jtis.size());
}

// Records what a watch reports; wait_for() waits until a topic has been seen.
class TopicLog {
 public:
  void add(ChangeTopic t) {
    std::lock_guard lock(mu_);
    seen_.insert(static_cast<int>(t));
    cv_.notify_all();
  }
  bool wait_for(ChangeTopic t, std::chrono::milliseconds within) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, within, [&] { return seen_.count(static_cast<int>(t)) != 0; });
  }
  bool wait_all(std::chrono::milliseconds within) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, within, [&] { return seen_.size() == kChangeTopicCount; });
  }
  void clear() {
    std::lock_guard lock(mu_);
    seen_.clear();
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<int> seen_;
};

// A replica watching the database hears about revocations, tuple writes and key changes that
// another replica commits (LISTEN/NOTIFY through the triggers of migration 3), not about those
// of a store in another schema (and about deprovisioned users, migration 9); after its connection is cut it reconnects and reports every
// topic once, since it may have missed some.
TEST(PostgresStoreTest, ChangeNotificationsReachOtherReplicas) {
  REQUIRE_PG();
  auto options = options_for(fresh_schema());
  options.application_name = "mcpgate-test-" + options.schema;
  const auto key = test_master_key();
  auto a = open_or_die(options, key);
  auto b = open_or_die(options, key);
  auto other = open_or_die(options_for(fresh_schema()), test_master_key());
  ASSERT_TRUE(a && b && other);
  TopicLog log;
  auto watch = b->watch_changes([&](ChangeTopic t) { log.add(t); });
  ASSERT_NE(watch, nullptr);
  // On connecting, every topic once.
  ASSERT_TRUE(log.wait_all(std::chrono::seconds(10)));
  log.clear();

  // Another schema's writes are not ours.
  ASSERT_TRUE(other->write_tuples("s", {AuthzTuple{"doc:1", "viewer", "user:x", "", ""}}, {}, kNow).ok());
  ASSERT_TRUE(other->revoke_access_token("jti-other", kNow + 60, kNow).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(log.size(), 0u);

  ASSERT_TRUE(a->write_tuples("s", {AuthzTuple{"doc:1", "viewer", "user:anne", "", ""}}, {}, kNow).ok());
  EXPECT_TRUE(log.wait_for(ChangeTopic::kAuthz, std::chrono::seconds(5)));
  EXPECT_FALSE(log.wait_for(ChangeTopic::kRevocations, std::chrono::milliseconds(0)));
  ASSERT_TRUE(a->revoke_access_token("jti-1", kNow + 60, kNow).ok());
  EXPECT_TRUE(log.wait_for(ChangeTopic::kRevocations, std::chrono::seconds(5)));
  SigningKeyRecord k;
  k.kid = "k1";
  k.alg = "ES256";
  k.private_pem = "not a real key";
  k.created_at = kNow;
  ASSERT_TRUE(a->add_signing_key(k).ok());
  EXPECT_TRUE(log.wait_for(ChangeTopic::kSigningKeys, std::chrono::seconds(5)));
  // Deprovisioning a user (migration 9's trigger): the users topic.
  ASSERT_TRUE(a->create_user(User{"u-watch", "watched", "", false, kNow}).ok());
  EXPECT_FALSE(log.wait_for(ChangeTopic::kUsers, std::chrono::milliseconds(300)));
  ASSERT_TRUE(a->deprovision_user("u-watch", DeprovisionMode::kDisable, kNow).ok());
  EXPECT_TRUE(log.wait_for(ChangeTopic::kUsers, std::chrono::seconds(5)));

  // A rolled-back write announces nothing: the tuple exists, so this write fails as a whole.
  log.clear();
  EXPECT_FALSE(a->write_tuples("s", {AuthzTuple{"doc:1", "viewer", "user:anne", "", ""}}, {}, kNow).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(log.size(), 0u);

  // Cut the listener's connection: it comes back and reports every topic.
  auto admin = pg::Connection::open(connect_options(options.url, 5000, ""));
  ASSERT_TRUE(admin.ok()) << admin.error().message;
  auto kill = (*admin)->prepare(
      "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?");
  ASSERT_TRUE(kill.ok()) << kill.error().message;
  kill->bind(options.application_name + " (listen)");
  ASSERT_TRUE(kill->step().value_or(false));
  ASSERT_EQ(kill->integer(0), 1);
  EXPECT_TRUE(log.wait_all(std::chrono::seconds(10)));
  auto* listener = dynamic_cast<pg::PostgresListener*>(watch.get());
  ASSERT_NE(listener, nullptr);
  EXPECT_GE(listener->connections(), 2u);
  // And still hears new changes.
  log.clear();
  ASSERT_TRUE(a->revoke_access_token("jti-2", kNow + 60, kNow).ok());
  EXPECT_TRUE(log.wait_for(ChangeTopic::kRevocations, std::chrono::seconds(5)));
}

TEST(PostgresListenerTest, PayloadsNameTheirSchemaAndTopic) {
  ChangeTopic t{};
  EXPECT_TRUE(pg::parse_change_payload("t_abc/authz", "t_abc", t));
  EXPECT_EQ(t, ChangeTopic::kAuthz);
  EXPECT_TRUE(pg::parse_change_payload("public/revocations", "public", t));
  EXPECT_EQ(t, ChangeTopic::kRevocations);
  EXPECT_TRUE(pg::parse_change_payload("public/keys", "public", t));
  EXPECT_EQ(t, ChangeTopic::kSigningKeys);
  EXPECT_TRUE(pg::parse_change_payload("public/users", "public", t));
  EXPECT_EQ(t, ChangeTopic::kUsers);
  EXPECT_FALSE(pg::parse_change_payload("t_other/authz", "t_abc", t));
  EXPECT_FALSE(pg::parse_change_payload("t_abc/unknown", "t_abc", t));
  EXPECT_FALSE(pg::parse_change_payload("authz", "t_abc", t));
  EXPECT_FALSE(pg::parse_change_payload("", "", t));
}

}  // namespace
}  // namespace mcpgate::store
