// The Store conformance suite, continued: deprovisioning (deprovision_user, reactivate_user) on
// every backend (store_suite.hpp). The backends' own tests add the all-or-nothing check, which
// needs a way to make the transaction fail that only each backend's test has.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/deprovision_test_support.hpp"
#include "store/store_suite.hpp"

namespace mcpgate::store::testing {
namespace {

constexpr Timestamp kDeprovisionAt = kDeprovisionT0 + 5;

std::vector<std::string> revoked_jtis_sorted(const std::vector<RevokedToken>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    out.push_back(e.jti);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sorted_ids(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_P(StoreSuite, attacks_075_deactivation_disables_revokes_and_suspends_in_one_call) {
  const DeprovisionFixture f = seed_deprovision_fixture(store());
  const auto before = store().revoked_since(0, 1000);
  ASSERT_TRUE(before.ok());

  const auto report = store().deprovision_user(f.user.id, DeprovisionMode::kDisable, kDeprovisionAt);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->user_id, f.user.id);
  EXPECT_FALSE(report->was_disabled);
  EXPECT_EQ(sorted_ids(report->grant_ids), sorted_ids({f.grant_a.id, f.grant_b.id}));
  EXPECT_EQ(revoked_jtis_sorted(report->revoked), sorted_ids(f.jtis));
  EXPECT_EQ(report->vault_suspended, 2);
  EXPECT_EQ(report->vault_deleted, 0);
  EXPECT_FALSE(report->deleted);

  // The user: disabled, stamped.
  const auto user = store().find_user(f.user.id);
  ASSERT_TRUE(user.ok());
  EXPECT_TRUE(user->disabled);
  EXPECT_EQ(user->deprovisioned_at, kDeprovisionAt);
  EXPECT_EQ(user->session_epoch, 1);
  // Grants, refresh family, code: dead.
  EXPECT_TRUE(store().list_user_grants(f.user.id)->empty());
  EXPECT_EQ(try_refresh(store(), f.refresh_a, f.client), RotateOutcome::kRevoked);
  EXPECT_NE(store().consume_authorization_code(hash_secret(f.code_b), kDeprovisionAt)->outcome,
            CodeOutcome::kConsumed);
  // Access tokens: on the revocation list, which is what other replicas read.
  for (const auto& jti : f.jtis) {
    EXPECT_TRUE(store().is_access_token_revoked(jti).value_or(false)) << jti;
  }
  const auto after = store().revoked_since(before->empty() ? 0 : before->back().seq, 1000);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(revoked_jtis_sorted(*after), sorted_ids(f.jtis));
  // Vault: suspended, version moved, tokens and status kept.
  for (const auto* c : {&f.conn_active, &f.conn_reconsent}) {
    const auto row = store().find_vault_connection(c->tenant, c->user_id, c->connector);
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->suspended_at, kDeprovisionAt);
    EXPECT_EQ(row->version, c->version + 1);
    EXPECT_EQ(row->status, c->status);
    EXPECT_EQ(row->access_token_sealed, c->access_token_sealed);
    EXPECT_EQ(row->refresh_token_sealed, c->refresh_token_sealed);
  }
  // A suspended row cannot be written (a refresh that read it before, or after).
  auto row = store().find_vault_connection("acme", f.user.id, "github");
  ASSERT_TRUE(row.ok());
  const auto update = store().update_vault_connection(*row, row->version);
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.error().code, ErrorCode::kFailedPrecondition);
  const auto stale = store().update_vault_connection(*row, f.conn_active.version);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  // Nothing new can be issued to the user: no grant, no vault connection.
  VaultConnection extra = f.conn_active;
  extra.id = "vc_" + crypto::random_id();
  extra.connector = "slack";
  const auto inserted = store().insert_vault_connection(extra);
  ASSERT_FALSE(inserted.ok());
  EXPECT_EQ(inserted.error().code, ErrorCode::kFailedPrecondition);

  // The other user: untouched.
  EXPECT_FALSE(store().find_user(f.other.id)->disabled);
  EXPECT_FALSE(store().is_access_token_revoked(f.other_jti).value_or(true));
  EXPECT_EQ(store().list_user_grants(f.other.id)->size(), 1U);
  EXPECT_EQ(try_refresh(store(), f.other_refresh, f.client), RotateOutcome::kRotated);
  const auto other_row = store().find_vault_connection("acme", f.other.id, "github");
  ASSERT_TRUE(other_row.ok());
  EXPECT_EQ(other_row->suspended_at, 0);
  EXPECT_EQ(other_row->version, 1);
}

TEST_P(StoreSuite, attacks_075_a_disabled_user_gets_no_new_code) {
  const User u = add_user();
  const Client c = add_client();
  ASSERT_TRUE(store().deprovision_user(u.id, DeprovisionMode::kDisable, kNow).ok());
  IssuedCode refused;
  refused.grant.id = crypto::random_id();
  refused.grant.user_id = u.id;
  refused.grant.client_id = c.client_id;
  refused.grant.created_at = kNow;
  refused.record.code_hash = hash_secret(crypto::random_token());
  refused.record.grant_id = refused.grant.id;
  refused.record.client_id = c.client_id;
  refused.record.user_id = u.id;
  refused.record.expires_at = kNow + 60;
  const auto r = store().create_authorization_code(refused.grant, refused.record);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store().find_grant(refused.grant.id).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, attacks_075_deactivation_is_idempotent) {
  const DeprovisionFixture f = seed_deprovision_fixture(store());
  const auto first = store().deprovision_user(f.user.id, DeprovisionMode::kDisable, kDeprovisionAt);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto second =
      store().deprovision_user(f.user.id, DeprovisionMode::kDisable, kDeprovisionAt + 60);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->was_disabled);
  EXPECT_TRUE(second->grant_ids.empty());
  EXPECT_EQ(second->vault_suspended, 0);
  // The same revocation entries, same sequence numbers: a retry re-tells, never re-revokes.
  ASSERT_EQ(second->revoked.size(), first->revoked.size());
  for (std::size_t i = 0; i < first->revoked.size(); ++i) {
    EXPECT_EQ(second->revoked[i].seq, first->revoked[i].seq);
    EXPECT_EQ(second->revoked[i].jti, first->revoked[i].jti);
  }
  // The user's stamp and epoch move (no session can sign in while disabled, so nothing changes
  // for sessions); the vault rows keep the first suspension.
  EXPECT_EQ(store().find_user(f.user.id)->deprovisioned_at, kDeprovisionAt + 60);
  EXPECT_EQ(store().find_user(f.user.id)->session_epoch, 2);
  const auto row = store().find_vault_connection("acme", f.user.id, "github");
  EXPECT_EQ(row->suspended_at, kDeprovisionAt);
  EXPECT_EQ(row->version, f.conn_active.version + 1);
}

TEST_P(StoreSuite, attacks_075_reactivation_restores_vault_rows_without_reconsent) {
  const DeprovisionFixture f = seed_deprovision_fixture(store());
  ASSERT_TRUE(store().deprovision_user(f.user.id, DeprovisionMode::kDisable, kDeprovisionAt).ok());

  const auto back = store().reactivate_user(f.user.id);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->was_disabled);
  EXPECT_EQ(back->vault_resumed, 2);
  const auto user = store().find_user(f.user.id);
  EXPECT_FALSE(user->disabled);
  EXPECT_EQ(user->deprovisioned_at, kDeprovisionAt);
  EXPECT_EQ(user->session_epoch, 1);  // kept: older browser sessions stay dead
  // The rows are as they were before the suspension, apart from the version: the same tokens,
  // the same status (an active connection is usable at once; one that needed consent still does).
  for (const auto* c : {&f.conn_active, &f.conn_reconsent}) {
    const auto row = store().find_vault_connection(c->tenant, c->user_id, c->connector);
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->suspended_at, 0);
    EXPECT_EQ(row->version, c->version + 2);
    EXPECT_EQ(row->status, c->status);
    EXPECT_EQ(row->access_token_sealed, c->access_token_sealed);
    EXPECT_EQ(row->refresh_token_sealed, c->refresh_token_sealed);
  }
  auto row = store().find_vault_connection("acme", f.user.id, "github");
  const auto updated = store().update_vault_connection(*row, row->version);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  // What was revoked stays revoked: clients authorize again.
  EXPECT_EQ(try_refresh(store(), f.refresh_a, f.client), RotateOutcome::kRevoked);
  for (const auto& jti : f.jtis) {
    EXPECT_TRUE(store().is_access_token_revoked(jti).value_or(false));
  }
  EXPECT_TRUE(store().list_user_grants(f.user.id)->empty());

  // Idempotent.
  const auto again = store().reactivate_user(f.user.id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->was_disabled);
  EXPECT_EQ(again->vault_resumed, 0);
  // A new deactivation after a reactivation suspends again and stamps the new time.
  const auto later =
      store().deprovision_user(f.user.id, DeprovisionMode::kDisable, kDeprovisionAt + 100);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->was_disabled);
  EXPECT_EQ(later->vault_suspended, 2);
  EXPECT_EQ(store().find_user(f.user.id)->deprovisioned_at, kDeprovisionAt + 100);
}

TEST_P(StoreSuite, attacks_075_deletion_removes_the_user_and_keeps_its_tokens_revoked) {
  const DeprovisionFixture f = seed_deprovision_fixture(store());
  ASSERT_TRUE(store().acquire_refresh_lease(f.conn_active.id, "replica-1", kDeprovisionT0, 30).ok());
  const auto report = store().deprovision_user(f.user.id, DeprovisionMode::kDelete, kDeprovisionAt);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->deleted);
  EXPECT_EQ(report->vault_deleted, 2);
  EXPECT_EQ(report->vault_suspended, 0);
  EXPECT_EQ(revoked_jtis_sorted(report->revoked), sorted_ids(f.jtis));
  EXPECT_EQ(sorted_ids(report->grant_ids), sorted_ids({f.grant_a.id, f.grant_b.id}));

  EXPECT_EQ(store().find_user(f.user.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_grant(f.grant_a.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_refresh_token(hash_secret(f.refresh_a)).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_vault_connection("acme", f.user.id, "github").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_vault_connection("globex", f.user.id, "github").error().code,
            ErrorCode::kNotFound);
  // The revocation entries outlive the rows: the JWTs are still refused until they expire.
  for (const auto& jti : f.jtis) {
    EXPECT_TRUE(store().is_access_token_revoked(jti).value_or(false));
  }
  // A repeat finds no user.
  const auto again = store().deprovision_user(f.user.id, DeprovisionMode::kDelete, kDeprovisionAt);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  // The other user: untouched.
  EXPECT_TRUE(store().find_user(f.other.id).ok());
  EXPECT_FALSE(store().is_access_token_revoked(f.other_jti).value_or(true));
  EXPECT_TRUE(store().find_vault_connection("acme", f.other.id, "github").ok());
}

// A caller that disabled the user itself first (SCIM's own transaction flips the flag): the
// deactivation still revokes, suspends and stamps.
TEST_P(StoreSuite, attacks_075_deactivation_of_an_already_disabled_user_still_cuts_everything) {
  const DeprovisionFixture f = seed_deprovision_fixture(store());
  ASSERT_TRUE(store().set_user_disabled(f.user.id, true).ok());
  const auto report = store().deprovision_user(f.user.id, DeprovisionMode::kDisable, kDeprovisionAt);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->was_disabled);
  EXPECT_EQ(report->grant_ids.size(), 2U);
  EXPECT_EQ(revoked_jtis_sorted(report->revoked), sorted_ids(f.jtis));
  EXPECT_EQ(report->vault_suspended, 2);
  EXPECT_EQ(store().find_user(f.user.id)->deprovisioned_at, kDeprovisionAt);
  // Reactivation after a SCIM write re-enabled the flag: the vault rows still come back.
  ASSERT_TRUE(store().set_user_disabled(f.user.id, false).ok());
  const auto back = store().reactivate_user(f.user.id);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->was_disabled);
  EXPECT_EQ(back->vault_resumed, 2);
}

TEST_P(StoreSuite, DeprovisioningAnUnknownUserIsNotFound) {
  for (const auto mode : {DeprovisionMode::kDisable, DeprovisionMode::kDelete}) {
    const auto r = store().deprovision_user("usr_nobody", mode, kNow);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  }
  const auto r = store().reactivate_user("usr_nobody");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().deprovision_user("", DeprovisionMode::kDisable, kNow).error().code,
            ErrorCode::kNotFound);
}

// Issuance racing a deactivation: whatever the interleaving, every access token the store
// accepted for the user ends up on the revocation list, and nothing is issued after it.
TEST_P(StoreSuite, attacks_075_issuance_racing_deactivation_leaves_no_live_token) {
  const User u = add_user();
  const Client c = add_client();
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::mutex mu;
  std::vector<std::string> accepted;  // jtis record_access_token took
  auto issuer = [&] {
    while (!stop.load()) {
      Grant g;
      g.id = crypto::random_id();
      g.user_id = u.id;
      g.client_id = c.client_id;
      g.created_at = kNow;
      AuthorizationCode code;
      code.code_hash = hash_secret(crypto::random_token());
      code.grant_id = g.id;
      code.client_id = c.client_id;
      code.user_id = u.id;
      code.expires_at = kNow + 600;
      if (auto st = store().create_authorization_code(g, code); !st) {
        if (st.error().code != ErrorCode::kFailedPrecondition) {
          ++errors;
        }
        continue;
      }
      auto consumed = store().consume_authorization_code(code.code_hash, kNow + 1);
      if (!consumed || consumed->outcome != CodeOutcome::kConsumed) {
        continue;
      }
      AccessTokenRecord a;
      a.jti = crypto::random_id();
      a.grant_id = g.id;
      a.client_id = c.client_id;
      a.issued_at = kNow + 1;
      a.expires_at = kNow + 900;
      if (store().record_access_token(a).ok()) {
        std::lock_guard lock(mu);
        accepted.push_back(a.jti);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(issuer);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto report = store().deprovision_user(u.id, DeprovisionMode::kDisable, kNow + 2);
  ASSERT_TRUE(report.ok()) << report.error().message;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(errors.load(), 0);
  EXPECT_FALSE(accepted.empty()) << "no issuance ran before the deactivation: the race was not run";
  for (const auto& jti : accepted) {
    EXPECT_TRUE(store().is_access_token_revoked(jti).value_or(false)) << jti;
  }
  EXPECT_TRUE(store().list_user_grants(u.id)->empty());
}

}  // namespace
}  // namespace mcpgate::store::testing
