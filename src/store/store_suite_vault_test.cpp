// The Store conformance suite, continued: the token vault's rows and refresh leases
// (store_suite.hpp). The blobs here are opaque bytes: sealing is src/vault's job and is tested
// there.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/store_suite.hpp"

namespace mcpgate::store::testing {
namespace {

constexpr Timestamp kT0 = 1'700'000'000;

VaultDataKey data_key(const std::string& tenant, std::int64_t version, bool active) {
  VaultDataKey k;
  k.tenant = tenant;
  k.version = version;
  k.wrapped = std::string("wrapped\0", 8) + std::to_string(version);
  k.master_key_version = 1;
  k.active = active;
  k.created_at = kT0;
  return k;
}

VaultConnection connection(const std::string& user, const std::string& connector) {
  VaultConnection c;
  c.id = "conn-" + crypto::random_id();
  c.tenant = "acme";
  c.user_id = user;
  c.connector = connector;
  c.expires_at = kT0 + 3600;
  c.scopes = "read write";
  c.data_key_version = 1;
  c.access_token_sealed = std::string("\x01\x00sealed-at", 11);
  c.refresh_token_sealed = std::string("\x01\xffsealed-rt", 11);
  c.connection_vars_sealed = std::string("\x01\x00sealed-cv\x80", 12);
  c.created_at = kT0;
  c.updated_at = kT0;
  return c;
}

TEST_P(StoreSuite, VaultDataKeysKeepOneActiveVersionPerTenant) {
  EXPECT_TRUE(store().list_vault_data_keys("")->empty());
  ASSERT_TRUE(store().add_vault_data_key(data_key("acme", 1, true)).ok());
  ASSERT_TRUE(store().add_vault_data_key(data_key("other", 1, true)).ok());
  ASSERT_TRUE(store().add_vault_data_key(data_key("acme", 2, true)).ok());

  const auto acme = store().list_vault_data_keys("acme");
  ASSERT_TRUE(acme.ok()) << acme.error().message;
  ASSERT_EQ(acme->size(), 2U);
  EXPECT_FALSE((*acme)[0].active);
  EXPECT_TRUE((*acme)[1].active);
  EXPECT_EQ((*acme)[1].wrapped, data_key("acme", 2, true).wrapped);  // binary-safe
  EXPECT_EQ(store().list_vault_data_keys("")->size(), 3U);
  EXPECT_TRUE((*store().list_vault_data_keys("other"))[0].active);

  // A racing creator of the same version loses and changes nothing.
  const auto dup = store().add_vault_data_key(data_key("acme", 2, true));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_TRUE((*store().list_vault_data_keys("acme"))[1].active);

  EXPECT_EQ(store().add_vault_data_key(data_key("", 1, true)).error().code,
            ErrorCode::kInvalidArgument);
  VaultDataKey no_blob = data_key("acme", 3, false);
  no_blob.wrapped.clear();
  EXPECT_EQ(store().add_vault_data_key(no_blob).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, VaultDataKeyRewrapIsCompareAndSet) {
  ASSERT_TRUE(store().add_vault_data_key(data_key("acme", 1, true)).ok());
  ASSERT_TRUE(store().rewrap_vault_data_key("acme", 1, 1, "rewrapped-2", 2, kT0 + 5).ok());
  const auto keys = store().list_vault_data_keys("acme");
  ASSERT_EQ(keys->size(), 1U);
  EXPECT_EQ((*keys)[0].wrapped, "rewrapped-2");
  EXPECT_EQ((*keys)[0].master_key_version, 2);
  EXPECT_EQ((*keys)[0].rewrapped_at, kT0 + 5);
  EXPECT_TRUE((*keys)[0].active);
  // Expecting the old master version: someone re-wrapped first.
  EXPECT_EQ(store().rewrap_vault_data_key("acme", 1, 1, "x", 3, kT0).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store().rewrap_vault_data_key("acme", 9, 1, "x", 3, kT0).error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreSuite, VaultConnectionsRoundTripAndAreUniquePerUserAndConnector) {
  const VaultConnection a = connection("alice", "github");
  ASSERT_TRUE(store().insert_vault_connection(a).ok());
  const auto found = store().find_vault_connection("acme", "alice", "github");
  ASSERT_TRUE(found.ok()) << found.error().message;
  VaultConnection expected = a;
  expected.version = 1;
  EXPECT_EQ(*found, expected);

  VaultConnection again = connection("alice", "github");
  EXPECT_EQ(store().insert_vault_connection(again).error().code, ErrorCode::kAlreadyExists);
  VaultConnection same_id = connection("bob", "github");
  same_id.id = a.id;
  EXPECT_EQ(store().insert_vault_connection(same_id).error().code, ErrorCode::kAlreadyExists);

  ASSERT_TRUE(store().insert_vault_connection(connection("alice", "slack")).ok());
  ASSERT_TRUE(store().insert_vault_connection(connection("bob", "github")).ok());
  const auto listed = store().list_vault_connections("acme", "alice");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].connector, "github");
  EXPECT_EQ((*listed)[1].connector, "slack");
  EXPECT_TRUE(store().list_vault_connections("other", "alice")->empty());
  EXPECT_EQ(store().find_vault_connection("acme", "carol", "github").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_vault_connection("other", "alice", "github").error().code,
            ErrorCode::kNotFound);

  // A row without connection variables (written before schema version 6) reads back empty.
  VaultConnection no_vars = connection("erin", "github");
  no_vars.connection_vars_sealed.clear();
  ASSERT_TRUE(store().insert_vault_connection(no_vars).ok());
  no_vars.version = 1;
  EXPECT_EQ(store().find_vault_connection("acme", "erin", "github").value(), no_vars);

  VaultConnection bad = connection("dave", "github");
  bad.access_token_sealed.clear();
  EXPECT_EQ(store().insert_vault_connection(bad).error().code, ErrorCode::kInvalidArgument);
  bad = connection("", "github");
  EXPECT_EQ(store().insert_vault_connection(bad).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, VaultConnectionUpdateIsCompareAndSet) {
  VaultConnection c = connection("alice", "github");
  ASSERT_TRUE(store().insert_vault_connection(c).ok());
  c.access_token_sealed = "new-at";
  c.connection_vars_sealed = std::string("\x02\x00new-cv", 8);
  c.status = VaultConnectionStatus::kNeedsReconsent;
  c.expires_at = kT0 + 7200;
  c.updated_at = kT0 + 10;
  const auto v2 = store().update_vault_connection(c, 1);
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(*v2, 2);
  const auto stored = store().find_vault_connection("acme", "alice", "github");
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(stored->access_token_sealed, "new-at");
  EXPECT_EQ(stored->connection_vars_sealed, std::string("\x02\x00new-cv", 8));
  EXPECT_EQ(stored->status, VaultConnectionStatus::kNeedsReconsent);
  EXPECT_EQ(stored->expires_at, kT0 + 7200);
  EXPECT_EQ(stored->created_at, kT0);  // fixed

  // A writer that read version 1 loses.
  c.access_token_sealed = "stale";
  const auto stale = store().update_vault_connection(c, 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store().find_vault_connection("acme", "alice", "github")->access_token_sealed,
            "new-at");

  // Racing writers that all read version 2: exactly one wins.
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      VaultConnection mine = c;
      mine.access_token_sealed = "racer-" + std::to_string(i);
      if (store().update_vault_connection(mine, 2).ok()) {
        ++won;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(store().find_vault_connection("acme", "alice", "github")->version, 3);

  VaultConnection gone = connection("zed", "github");
  EXPECT_EQ(store().update_vault_connection(gone, 1).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, VaultConnectionDeleteAndKeyUsage) {
  VaultConnection a = connection("alice", "github");
  VaultConnection b = connection("bob", "github");
  b.data_key_version = 2;
  ASSERT_TRUE(store().insert_vault_connection(a).ok());
  ASSERT_TRUE(store().insert_vault_connection(b).ok());
  ASSERT_TRUE(store().insert_vault_connection(connection("carol", "github")).ok());
  const auto usage = store().vault_key_usage();
  ASSERT_TRUE(usage.ok()) << usage.error().message;
  ASSERT_EQ(usage->size(), 2U);
  EXPECT_EQ((*usage)[0], (VaultKeyUsage{"acme", 1, 2}));
  EXPECT_EQ((*usage)[1], (VaultKeyUsage{"acme", 2, 1}));
  EXPECT_EQ(*store().count_vault_connections_not_under("acme", 2), 2);
  EXPECT_EQ(*store().count_vault_connections_not_under("acme", 1), 1);

  ASSERT_TRUE(store().acquire_refresh_lease(a.id, "p1", kT0, 30)->granted);
  ASSERT_TRUE(store().delete_vault_connection("acme", "alice", "github").ok());
  EXPECT_EQ(store().find_vault_connection("acme", "alice", "github").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().delete_vault_connection("acme", "alice", "github").error().code,
            ErrorCode::kNotFound);
  // Its lease went with it: a new connection could reuse nothing stale.
  EXPECT_EQ(store().release_refresh_lease(a.id, "p1").error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_P(StoreSuite, RefreshLeaseIsExclusiveUntilItExpires) {
  const VaultConnection c = connection("alice", "github");
  ASSERT_TRUE(store().insert_vault_connection(c).ok());

  const auto first = store().acquire_refresh_lease(c.id, "proc-a", kT0, 30);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->granted);
  EXPECT_EQ(first->expires_at, kT0 + 30);

  const auto other = store().acquire_refresh_lease(c.id, "proc-b", kT0 + 10, 30);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->granted);
  EXPECT_EQ(other->holder, "proc-a");
  EXPECT_EQ(other->expires_at, kT0 + 30);

  // The holder renews.
  const auto renewed = store().acquire_refresh_lease(c.id, "proc-a", kT0 + 20, 30);
  EXPECT_TRUE(renewed->granted);
  EXPECT_EQ(renewed->expires_at, kT0 + 50);

  // Expired: taken over; the old holder can no longer release it.
  const auto taken = store().acquire_refresh_lease(c.id, "proc-b", kT0 + 50, 30);
  EXPECT_TRUE(taken->granted);
  EXPECT_EQ(store().release_refresh_lease(c.id, "proc-a").error().code,
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(store().release_refresh_lease(c.id, "proc-b").ok());
  // Released: free at once for anyone.
  EXPECT_TRUE(store().acquire_refresh_lease(c.id, "proc-a", kT0 + 51, 30)->granted);

  EXPECT_EQ(store().acquire_refresh_lease("no-such", "proc-a", kT0, 30).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store().acquire_refresh_lease(c.id, "", kT0, 30).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().acquire_refresh_lease(c.id, "proc-a", kT0, 0).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, RefreshLeaseRaceGrantsExactlyOne) {
  const VaultConnection c = connection("alice", "github");
  ASSERT_TRUE(store().insert_vault_connection(c).ok());
  std::atomic<int> granted{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const auto r = store().acquire_refresh_lease(c.id, "racer-" + std::to_string(i), kT0, 30);
      if (!r.ok()) {
        ++failed;
      } else if (r->granted) {
        ++granted;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(granted.load(), 1);
}

}  // namespace
}  // namespace mcpgate::store::testing
