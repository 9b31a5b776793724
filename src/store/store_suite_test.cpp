// The Store conformance suite: every backend must pass all of it (see store_suite.hpp).
// Tests named attacks_NNN cover the row of the same number in docs/ATTACKS.md.

#include "store/store_suite.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/jwk.hpp"

namespace mcpgate::store::testing {
namespace {

constexpr int kRacers = 50;

// Runs `body(i)` on kRacers threads released at the same moment.
template <class F>
void race(F body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(kRacers);
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      body(i);
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
}

std::set<std::string> jtis_of(const std::vector<RevokedToken>& entries) {
  std::set<std::string> out;
  for (const auto& e : entries) {
    out.insert(e.jti);
  }
  return out;
}

// --- secrets -----------------------------------------------------------------------------------

TEST(HashSecretTest, IsSha256) {
  EXPECT_EQ(hash_secret("abc"), crypto::sha256("abc"));
  EXPECT_EQ(hash_secret("x").size(), 32U);
}

TEST_P(StoreSuite, RefusesClearTokensWhereHashesBelong) {
  const User u = add_user();
  const Client c = add_client();
  IssuedCode issued;
  issued.grant = Grant{"g1", u.id, c.client_id, "s", "r", kNow, std::nullopt};
  issued.record.code_hash = crypto::random_token();  // 43 characters: a clear token
  issued.record.grant_id = "g1";
  issued.record.client_id = c.client_id;
  issued.record.user_id = u.id;
  issued.record.expires_at = kNow + 60;
  EXPECT_EQ(store().create_authorization_code(issued.grant, issued.record).error().code,
            ErrorCode::kInvalidArgument);
  Client bad = c;
  bad.client_id = "other";
  bad.secret_hash = "a-clear-secret";
  EXPECT_EQ(store().create_client(bad).error().code, ErrorCode::kInvalidArgument);
}

// --- users -------------------------------------------------------------------------------------

TEST_P(StoreSuite, CreatesAndFindsUsers) {
  const User u = add_user("Alice");
  const auto by_id = store().find_user(u.id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->username, "Alice");
  EXPECT_EQ(by_id->password_hash, u.password_hash);
  EXPECT_FALSE(by_id->disabled);
  EXPECT_EQ(by_id->created_at, kNow);
  EXPECT_EQ(by_id->org_id, kDefaultOrgId);
  EXPECT_EQ(store().find_user_by_username(kDefaultOrgId, "alice").value().id, u.id);
  EXPECT_EQ(store().find_user_by_username(kDefaultOrgId, "ALICE").value().id, u.id);
  EXPECT_EQ(store().find_user("nobody").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_user_by_username(kDefaultOrgId, "bob").error().code,
            ErrorCode::kNotFound);
}

// --- organizations -----------------------------------------------------------------------------

TEST_P(StoreSuite, DefaultOrganizationExistsAfterMigration) {
  const auto org = store().find_organization(kDefaultOrgId);
  ASSERT_TRUE(org.ok()) << org.error().message;
  EXPECT_EQ(org->name, "Default");
  EXPECT_TRUE(org->settings.is_object());
  EXPECT_GT(org->created_at, 0);
  const auto all = store().list_organizations();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ(all->front().id, kDefaultOrgId);
}

TEST_P(StoreSuite, UpsertsOrganizationsKeepingTheirCreationTime) {
  Organization acme{"acme", "Acme", {{"domains", {"acme.test"}}, {"jit", false}}, kNow};
  ASSERT_TRUE(store().upsert_organization(acme).ok());
  acme.name = "Acme Corp";
  acme.settings["jit"] = true;
  acme.created_at = kNow + 500;  // ignored on update
  ASSERT_TRUE(store().upsert_organization(acme).ok());
  const auto back = store().find_organization("acme");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->name, "Acme Corp");
  EXPECT_EQ(back->settings["jit"], true);
  EXPECT_EQ(back->settings["domains"][0], "acme.test");
  EXPECT_EQ(back->created_at, kNow);
  ASSERT_TRUE(store().upsert_organization(Organization{"beta-2", "Beta", {}, kNow}).ok());
  const auto all = store().list_organizations();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3U);  // ordered by id
  EXPECT_EQ((*all)[0].id, "acme");
  EXPECT_EQ((*all)[1].id, "beta-2");
  EXPECT_EQ((*all)[2].id, kDefaultOrgId);
  EXPECT_EQ(store().find_organization("nope").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, RefusesMalformedOrganizations) {
  for (const char* id : {"", "-acme", "Acme", "ac_me", "acme.test", "a b", "acme\n"}) {
    EXPECT_EQ(store().upsert_organization(Organization{id, "X", {}, kNow}).error().code,
              ErrorCode::kInvalidArgument)
        << id;
  }
  EXPECT_EQ(store().upsert_organization(Organization{std::string(64, 'a'), "X", {}, kNow})
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store().upsert_organization(Organization{std::string(63, 'a'), "X", {}, kNow}).ok());
  EXPECT_EQ(store().upsert_organization(Organization{"acme", "", {}, kNow}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().upsert_organization(Organization{"acme", "A", nlohmann::json::array(), kNow})
                .error()
                .code,
            ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, UsernamesAreUniquePerOrganization) {
  ASSERT_TRUE(store().upsert_organization(Organization{"acme", "Acme", {}, kNow}).ok());
  const User home = add_user("alice");
  User other;
  other.id = "acme-alice";
  other.username = "alice";
  other.org_id = "acme";
  other.created_at = kNow;
  ASSERT_TRUE(store().create_user(other).ok());  // same name, another organization
  EXPECT_EQ(store().find_user_by_username(kDefaultOrgId, "alice").value().id, home.id);
  EXPECT_EQ(store().find_user_by_username("acme", "ALICE").value().id, "acme-alice");
  EXPECT_EQ(store().find_user("acme-alice").value().org_id, "acme");
  // Within one organization the name collides, case-insensitively.
  User twin = other;
  twin.id = "acme-alice-2";
  twin.username = "Alice";
  EXPECT_EQ(store().create_user(twin).error().code, ErrorCode::kAlreadyExists);
  // A name is never found in another organization.
  User bob = other;
  bob.id = "acme-bob";
  bob.username = "bob";
  ASSERT_TRUE(store().create_user(bob).ok());
  EXPECT_EQ(store().find_user_by_username(kDefaultOrgId, "bob").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_user_by_username("nope", "bob").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, ListsAnOrganizationsUsersInKeysetPages) {
  ASSERT_TRUE(store().upsert_organization(Organization{"acme", "Acme", {}, kNow}).ok());
  for (const char* id : {"u-c", "u-a", "u-b"}) {
    User u;
    u.id = id;
    u.username = std::string("name-") + id;
    u.created_at = kNow;
    ASSERT_TRUE(store().create_user(u).ok());
  }
  User foreign;
  foreign.id = "u-aa";
  foreign.username = "foreign";
  foreign.org_id = "acme";
  foreign.created_at = kNow;
  ASSERT_TRUE(store().create_user(foreign).ok());
  ASSERT_TRUE(store().set_user_disabled("u-b", true).ok());

  const auto first = store().list_org_users(kDefaultOrgId, "", 2).value();
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].id, "u-a");
  EXPECT_EQ(first[1].id, "u-b");
  EXPECT_TRUE(first[1].disabled);
  const auto second = store().list_org_users(kDefaultOrgId, first.back().id, 2).value();
  ASSERT_EQ(second.size(), 1U);  // another organization's user never shows
  EXPECT_EQ(second[0].id, "u-c");
  EXPECT_TRUE(store().list_org_users(kDefaultOrgId, "u-c", 2).value().empty());
  const auto acme = store().list_org_users("acme", "", 10).value();
  ASSERT_EQ(acme.size(), 1U);
  EXPECT_EQ(acme[0].id, "u-aa");
  EXPECT_TRUE(store().list_org_users("nope", "", 10).value().empty());
}

TEST_P(StoreSuite, UsersNeedAnExistingValidOrganization) {
  User u;
  u.id = "u-ghost";
  u.username = "ghost";
  u.org_id = "ghost-org";
  u.created_at = kNow;
  EXPECT_EQ(store().create_user(u).error().code, ErrorCode::kFailedPrecondition);
  u.org_id = "Not Valid";
  EXPECT_EQ(store().create_user(u).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().find_user("u-ghost").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, UsernamesAreUniqueCaseInsensitively) {
  const User u = add_user("alice");
  User twin = u;
  twin.id = "another-id";
  twin.username = "ALICE";
  EXPECT_EQ(store().create_user(twin).error().code, ErrorCode::kAlreadyExists);
  User same_id = u;
  same_id.username = "carol";
  EXPECT_EQ(store().create_user(same_id).error().code, ErrorCode::kAlreadyExists);
  User empty;
  EXPECT_EQ(store().create_user(empty).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, UpdatesPasswordAndDisabledFlag) {
  const User u = add_user();
  ASSERT_TRUE(store().set_user_password(u.id, "$argon2id$new").ok());
  ASSERT_TRUE(store().set_user_disabled(u.id, true).ok());
  const User back = store().find_user(u.id).value();
  EXPECT_EQ(back.password_hash, "$argon2id$new");
  EXPECT_TRUE(back.disabled);
  EXPECT_EQ(store().set_user_disabled("nobody", true).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().set_user_password("nobody", "x").error().code, ErrorCode::kNotFound);
}

// --- clients -----------------------------------------------------------------------------------

TEST_P(StoreSuite, CreatesFindsAndUpdatesClients) {
  const Client c = add_client("s3cret", ClientKind::kStatic);
  auto back = store().find_client(c.client_id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->kind, ClientKind::kStatic);
  EXPECT_EQ(back->metadata, c.metadata);
  EXPECT_EQ(back->secret_hash, hash_secret("s3cret"));
  EXPECT_TRUE(back->registration_token_hash.empty());
  EXPECT_EQ(store().create_client(c).error().code, ErrorCode::kAlreadyExists);

  Client updated = *back;
  updated.metadata["client_name"] = "Renamed";
  updated.secret_hash.clear();
  updated.registration_token_hash = hash_secret("reg");
  updated.disabled = true;
  updated.kind = ClientKind::kCimd;  // ignored: kind is fixed
  ASSERT_TRUE(store().update_client(updated).ok());
  back = store().find_client(c.client_id);
  EXPECT_EQ(back->metadata["client_name"], "Renamed");
  EXPECT_TRUE(back->secret_hash.empty());
  EXPECT_EQ(back->registration_token_hash, hash_secret("reg"));
  EXPECT_TRUE(back->disabled);
  EXPECT_EQ(back->kind, ClientKind::kStatic);

  updated.client_id = "missing";
  EXPECT_EQ(store().update_client(updated).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_client("missing").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, CountsClientsByKind) {
  add_client("", ClientKind::kDcr);
  add_client("", ClientKind::kDcr);
  add_client("", ClientKind::kCimd);
  EXPECT_EQ(store().count_clients(ClientKind::kDcr).value(), 2);
  EXPECT_EQ(store().count_clients(ClientKind::kCimd).value(), 1);
  EXPECT_EQ(store().count_clients(ClientKind::kStatic).value(), 0);
}

TEST_P(StoreSuite, ListsClientsOfEveryKindInKeysetPages) {
  const Client a = add_client("", ClientKind::kDcr);
  const Client b = add_client("s3cret", ClientKind::kStatic);
  const Client c = add_client("", ClientKind::kCimd);
  std::vector<std::string> expected = {a.client_id, b.client_id, c.client_id};
  std::sort(expected.begin(), expected.end());
  const auto first = store().list_clients("", 2).value();
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].client_id, expected[0]);
  EXPECT_EQ(first[1].client_id, expected[1]);
  const auto rest = store().list_clients(first.back().client_id, 2).value();
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].client_id, expected[2]);
  EXPECT_EQ(rest[0].metadata.value("client_name", ""), "Test");
  EXPECT_TRUE(store().list_clients(expected[2], 2).value().empty());
}

TEST_P(StoreSuite, attacks_021_client_secret_verification) {
  const Client c = add_client("right-secret");
  const Client other = add_client("other-secret");
  const Client pub = add_client();
  EXPECT_TRUE(store().verify_client_secret(c.client_id, hash_secret("right-secret"), kNow).ok());
  EXPECT_EQ(store().verify_client_secret(c.client_id, hash_secret("wrong"), kNow).error().code,
            ErrorCode::kUnauthenticated);
  // Another client's secret.
  EXPECT_FALSE(store().verify_client_secret(c.client_id, hash_secret("other-secret"), kNow).ok());
  EXPECT_FALSE(
      store().verify_client_secret(other.client_id, hash_secret("right-secret"), kNow).ok());
  // Unknown client, public client, garbage hash: all the same answer.
  EXPECT_EQ(store().verify_client_secret("nobody", hash_secret("x"), kNow).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_FALSE(store().verify_client_secret(pub.client_id, std::string(32, '\0'), kNow).ok());
  EXPECT_FALSE(store().verify_client_secret(c.client_id, "right-secret", kNow).ok());
  EXPECT_FALSE(store().verify_client_secret(c.client_id, "", kNow).ok());

  Client expiring = store().find_client(c.client_id).value();
  expiring.secret_expires_at = kNow + 100;
  ASSERT_TRUE(store().update_client(expiring).ok());
  EXPECT_TRUE(store().verify_client_secret(c.client_id, hash_secret("right-secret"), kNow).ok());
  EXPECT_FALSE(
      store().verify_client_secret(c.client_id, hash_secret("right-secret"), kNow + 100).ok());

  expiring.secret_expires_at = 0;
  expiring.disabled = true;
  ASSERT_TRUE(store().update_client(expiring).ok());
  EXPECT_FALSE(store().verify_client_secret(c.client_id, hash_secret("right-secret"), kNow).ok());
}

TEST_P(StoreSuite, VerifiesRegistrationAccessTokens) {
  Client c = add_client();
  EXPECT_FALSE(store().verify_registration_token(c.client_id, hash_secret("t")).ok());
  c.registration_token_hash = hash_secret("t");
  ASSERT_TRUE(store().update_client(c).ok());
  EXPECT_TRUE(store().verify_registration_token(c.client_id, hash_secret("t")).ok());
  EXPECT_EQ(store().verify_registration_token(c.client_id, hash_secret("u")).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_FALSE(store().verify_registration_token("nobody", hash_secret("t")).ok());
}

TEST_P(StoreSuite, DeletingAClientRevokesItsTokensAndRemovesItsRows) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string jti = add_access_token(issued.grant);
  const std::string refresh = add_refresh(issued.grant);
  ASSERT_TRUE(store().put_consent(Consent{u.id, c.client_id, "s", "r", kNow, kNow}).ok());

  const auto revoked = store().delete_client(c.client_id, kNow + 1);
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  EXPECT_EQ(jtis_of(*revoked), std::set<std::string>{jti});
  EXPECT_TRUE(store().is_access_token_revoked(jti).value());
  EXPECT_EQ(store().find_client(c.client_id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_grant(issued.grant.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_refresh_token(hash_secret(refresh)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().consume_authorization_code(issued.record.code_hash, kNow + 1).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_consent(u.id, c.client_id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().delete_client(c.client_id, kNow + 2).error().code, ErrorCode::kNotFound);
}

// --- authorization codes -----------------------------------------------------------------------

TEST_P(StoreSuite, CodeRoundTripsEveryField) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const auto r = store().consume_authorization_code(hash_secret(issued.code), kNow + 5);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->outcome, CodeOutcome::kConsumed);
  const AuthorizationCode& got = r->code;
  EXPECT_EQ(got.code_hash, issued.record.code_hash);
  EXPECT_EQ(got.grant_id, issued.grant.id);
  EXPECT_EQ(got.client_id, c.client_id);
  EXPECT_EQ(got.user_id, u.id);
  EXPECT_EQ(got.redirect_uri, issued.record.redirect_uri);
  EXPECT_EQ(got.code_challenge, issued.record.code_challenge);
  EXPECT_EQ(got.code_challenge_method, "S256");
  EXPECT_EQ(got.scope, issued.record.scope);
  EXPECT_EQ(got.resource, issued.record.resource);
  EXPECT_EQ(got.extra, issued.record.extra);
  EXPECT_EQ(got.created_at, kNow);
  EXPECT_EQ(got.expires_at, kNow + 600);
  EXPECT_EQ(got.consumed_at, kNow + 5);
  const Grant g = store().find_grant(issued.grant.id).value();
  EXPECT_EQ(g.user_id, u.id);
  EXPECT_EQ(g.client_id, c.client_id);
  EXPECT_EQ(g.scope, "mcp:tools");
  EXPECT_EQ(g.resource, "https://mcp.example/mcp");
  EXPECT_FALSE(g.revoked_at.has_value());
}

TEST_P(StoreSuite, attacks_017_code_replay_reports_the_grant) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  ASSERT_EQ(store().consume_authorization_code(issued.record.code_hash, kNow + 1)->outcome,
            CodeOutcome::kConsumed);
  const std::string jti = add_access_token(issued.grant);
  const std::string refresh = add_refresh(issued.grant);

  const auto replay = store().consume_authorization_code(issued.record.code_hash, kNow + 2);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->outcome, CodeOutcome::kAlreadyUsed);
  EXPECT_EQ(replay->code.grant_id, issued.grant.id);
  EXPECT_EQ(replay->code.consumed_at, kNow + 1);

  // The caller revokes everything issued from the code.
  const auto revoked = store().revoke_grant(replay->code.grant_id, kNow + 2);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(jtis_of(*revoked), std::set<std::string>{jti});
  EXPECT_TRUE(store().is_access_token_revoked(jti).value());
  EXPECT_EQ(store()
                .rotate_refresh_token(rotate_request(refresh, c.client_id, crypto::random_token()))
                ->outcome,
            RotateOutcome::kRevoked);
}

TEST_P(StoreSuite, attacks_018_expired_and_unknown_codes) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c, 600);
  auto r = store().consume_authorization_code(issued.record.code_hash, kNow + 600);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, CodeOutcome::kExpired);
  EXPECT_FALSE(r->code.consumed_at.has_value());
  EXPECT_EQ(store().consume_authorization_code(hash_secret("unknown"), kNow).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().consume_authorization_code("short", kNow).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, attacks_018_concurrent_code_exchange_has_one_winner) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  std::atomic<int> consumed{0};
  std::atomic<int> already_used{0};
  std::atomic<int> errors{0};
  race([&](int) {
    const auto r = store().consume_authorization_code(issued.record.code_hash, kNow + 1);
    if (!r.ok()) {
      ++errors;
    } else if (r->outcome == CodeOutcome::kConsumed) {
      ++consumed;
    } else if (r->outcome == CodeOutcome::kAlreadyUsed && r->code.grant_id == issued.grant.id) {
      ++already_used;
    }
  });
  EXPECT_EQ(consumed, 1);
  EXPECT_EQ(already_used, kRacers - 1);
  EXPECT_EQ(errors, 0);
}

TEST_P(StoreSuite, attacks_032_codes_die_with_their_user_client_or_grant) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode a = issue_code(u, c);
  const IssuedCode b = issue_code(u, c);
  ASSERT_TRUE(store().set_user_disabled(u.id, true).ok());
  EXPECT_EQ(store().consume_authorization_code(a.record.code_hash, kNow + 1)->outcome,
            CodeOutcome::kRevoked);
  ASSERT_TRUE(store().set_user_disabled(u.id, false).ok());
  Client disabled = c;
  disabled.disabled = true;
  ASSERT_TRUE(store().update_client(disabled).ok());
  EXPECT_EQ(store().consume_authorization_code(a.record.code_hash, kNow + 1)->outcome,
            CodeOutcome::kRevoked);
  ASSERT_TRUE(store().update_client(c).ok());
  ASSERT_TRUE(store().revoke_grant(b.grant.id, kNow + 1).ok());
  // Revoking burns the grant's unconsumed codes.
  EXPECT_NE(store().consume_authorization_code(b.record.code_hash, kNow + 2)->outcome,
            CodeOutcome::kConsumed);
  EXPECT_EQ(store().consume_authorization_code(a.record.code_hash, kNow + 2)->outcome,
            CodeOutcome::kConsumed);
}

TEST_P(StoreSuite, CodeMustBelongToItsGrant) {
  const User u = add_user();
  const User other = add_user("bob");
  const Client c = add_client();
  IssuedCode issued;
  issued.grant = Grant{crypto::random_id(), u.id, c.client_id, "s", "r", kNow, std::nullopt};
  issued.record.code_hash = hash_secret("code");
  issued.record.grant_id = issued.grant.id;
  issued.record.client_id = c.client_id;
  issued.record.user_id = other.id;
  EXPECT_EQ(store().create_authorization_code(issued.grant, issued.record).error().code,
            ErrorCode::kInvalidArgument);
  issued.grant.user_id = "ghost";
  issued.record.user_id = "ghost";
  EXPECT_EQ(store().create_authorization_code(issued.grant, issued.record).error().code,
            ErrorCode::kFailedPrecondition);
  // Nothing was half-written.
  EXPECT_EQ(store().find_grant(issued.grant.id).error().code, ErrorCode::kNotFound);
}

// --- grants ------------------------------------------------------------------------------------

TEST_P(StoreSuite, RevokingAGrantIsCompleteAndIdempotent) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string live1 = add_access_token(issued.grant, 300);
  const std::string live2 = add_access_token(issued.grant, 600);
  const std::string expired = add_access_token(issued.grant, -1);
  const std::string refresh = add_refresh(issued.grant);

  const auto first = store().revoke_grant(issued.grant.id, kNow + 1);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(jtis_of(*first), (std::set<std::string>{live1, live2}));
  EXPECT_FALSE(store().is_access_token_revoked(expired).value());
  EXPECT_EQ(store().find_grant(issued.grant.id)->revoked_at, kNow + 1);
  EXPECT_EQ(store().find_refresh_token(hash_secret(refresh))->revoked_at, kNow + 1);

  const auto second = store().revoke_grant(issued.grant.id, kNow + 5);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(jtis_of(*second), jtis_of(*first));
  EXPECT_EQ(store().find_grant(issued.grant.id)->revoked_at, kNow + 1);
  EXPECT_EQ(store().revoked_since(0, 100)->size(), 2U);
  EXPECT_EQ(store().revoke_grant("nope", kNow).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, ListsAndRevokesAUsersGrants) {
  const User u = add_user();
  const User other = add_user("bob");
  const Client c = add_client();
  const IssuedCode a = issue_code(u, c);
  const IssuedCode b = issue_code(u, c);
  const IssuedCode theirs = issue_code(other, c);
  const std::string jti_a = add_access_token(a.grant);
  const std::string jti_b = add_access_token(b.grant);
  add_access_token(theirs.grant);
  EXPECT_EQ(store().list_user_grants(u.id)->size(), 2U);
  ASSERT_TRUE(store().revoke_grant(a.grant.id, kNow).ok());
  const auto listed = store().list_user_grants(u.id).value();
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0].id, b.grant.id);

  const auto revoked = store().revoke_user_grants(u.id, kNow + 1);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(jtis_of(*revoked), std::set<std::string>{jti_b});
  EXPECT_TRUE(store().list_user_grants(u.id)->empty());
  EXPECT_EQ(store().list_user_grants(other.id)->size(), 1U);
}

// --- refresh tokens ----------------------------------------------------------------------------

TEST_P(StoreSuite, attacks_027_rotation_records_the_new_access_token_in_the_same_commit) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string first = add_refresh(issued.grant);
  RotateRequest req = rotate_request(first, c.client_id, crypto::random_token());
  req.access_token = AccessTokenRecord{"jti-rotated", "ignored", c.client_id, kNow + 10, kNow + 900};
  const auto r = store().rotate_refresh_token(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->outcome, RotateOutcome::kRotated);
  // Recorded under the family's grant: revoking the grant lists it.
  const auto revoked = store().revoke_grant(issued.grant.id, kNow + 11);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(jtis_of(*revoked), std::set<std::string>{"jti-rotated"});
  // A losing rotation records nothing.
  RotateRequest replay = rotate_request(first, c.client_id, crypto::random_token());
  replay.access_token = AccessTokenRecord{"jti-lost", "", c.client_id, kNow + 12, kNow + 900};
  const auto lost = store().rotate_refresh_token(replay);
  ASSERT_TRUE(lost.ok());
  EXPECT_NE(lost->outcome, RotateOutcome::kRotated);
  const auto again = store().revoke_grant(issued.grant.id, kNow + 13);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(jtis_of(*again).count("jti-lost"), 0U);
}

TEST_P(StoreSuite, attacks_025_rotation_precheck_refusal_spends_nothing) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string first = add_refresh(issued.grant);
  RotateRequest refused = rotate_request(first, c.client_id, crypto::random_token());
  refused.access_token = AccessTokenRecord{"jti-refused", "", c.client_id, kNow + 10, kNow + 900};
  std::string seen_scope;
  refused.precheck = [&](const RefreshToken& t) -> Status {
    seen_scope = t.scope;
    return make_error(ErrorCode::kFailedPrecondition, "narrowing refused");
  };
  const auto r = store().rotate_refresh_token(refused);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(seen_scope, issued.grant.scope);
  // Nothing was spent or recorded: the same token still rotates, and reports the family's user.
  const auto ok = store().rotate_refresh_token(rotate_request(first, c.client_id, crypto::random_token()));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->outcome, RotateOutcome::kRotated);
  EXPECT_EQ(ok->user_id, u.id);
  EXPECT_EQ(ok->org_id, kDefaultOrgId);  // and that user's organization
  const auto revoked = store().revoke_grant(issued.grant.id, kNow + 20);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(jtis_of(*revoked).count("jti-refused"), 0U);
}

TEST_P(StoreSuite, attacks_027_rotation_issues_a_successor) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string first = add_refresh(issued.grant);
  const std::string second = crypto::random_token();
  const auto r = store().rotate_refresh_token(rotate_request(first, c.client_id, second));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->outcome, RotateOutcome::kRotated);
  ASSERT_TRUE(r->issued.has_value());
  EXPECT_EQ(r->issued->token_hash, hash_secret(second));
  EXPECT_EQ(r->issued->parent_hash, hash_secret(first));
  EXPECT_EQ(r->issued->grant_id, issued.grant.id);
  EXPECT_EQ(r->issued->scope, issued.grant.scope);
  EXPECT_EQ(r->issued->resource, issued.grant.resource);
  EXPECT_EQ(r->presented.used_at, kNow + 10);

  const RefreshToken stored_old = store().find_refresh_token(hash_secret(first)).value();
  EXPECT_EQ(stored_old.used_at, kNow + 10);
  const RefreshToken stored_new = store().find_refresh_token(hash_secret(second)).value();
  EXPECT_FALSE(stored_new.used_at.has_value());
  EXPECT_EQ(stored_new.family_expires_at, stored_old.family_expires_at);

  // The successor rotates in turn.
  const auto again = store().rotate_refresh_token(
      rotate_request(second, c.client_id, crypto::random_token(), kNow + 20));
  EXPECT_EQ(again->outcome, RotateOutcome::kRotated);
}

TEST_P(StoreSuite, attacks_028_043_reuse_after_rotation_revokes_the_family) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  std::vector<std::string> tokens = {add_refresh(issued.grant)};
  std::set<std::string> jtis = {add_access_token(issued.grant)};
  for (int i = 1; i <= 3; ++i) {
    tokens.push_back(crypto::random_token());
    const auto r = store().rotate_refresh_token(
        rotate_request(tokens[tokens.size() - 2], c.client_id, tokens.back(), kNow + i));
    ASSERT_EQ(r->outcome, RotateOutcome::kRotated);
    jtis.insert(add_access_token(issued.grant));
  }
  // The first token comes back: reuse.
  const auto replay = store().rotate_refresh_token(
      rotate_request(tokens[0], c.client_id, crypto::random_token(), kNow + 10));
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->outcome, RotateOutcome::kReused);
  EXPECT_FALSE(replay->issued.has_value());
  EXPECT_EQ(replay->presented.grant_id, issued.grant.id);

  const auto revoked = store().revoke_grant(replay->presented.grant_id, kNow + 10);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(jtis_of(*revoked), jtis);
  for (const auto& jti : jtis) {
    EXPECT_TRUE(store().is_access_token_revoked(jti).value()) << jti;
  }
  EXPECT_EQ(jtis_of(store().revoked_since(0, 100).value()), jtis);
  // The newest token of the family is dead too.
  EXPECT_EQ(store()
                .rotate_refresh_token(
                    rotate_request(tokens.back(), c.client_id, crypto::random_token(), kNow + 11))
                ->outcome,
            RotateOutcome::kRevoked);
  // And the grant accepts no new tokens.
  AccessTokenRecord late{"late-jti", issued.grant.id, c.client_id, kNow + 12, kNow + 300};
  EXPECT_EQ(store().record_access_token(late).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(store().is_access_token_revoked("late-jti").value());
}

TEST_P(StoreSuite, attacks_029_concurrent_rotation_has_one_winner_and_no_fork) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string first = add_refresh(issued.grant);
  std::vector<std::string> successors(kRacers);
  for (auto& s : successors) {
    s = crypto::random_token();
  }
  std::atomic<int> rotated{0};
  std::atomic<int> reused{0};
  std::atomic<int> errors{0};
  race([&](int i) {
    const auto r = store().rotate_refresh_token(rotate_request(first, c.client_id, successors[i]));
    if (!r.ok()) {
      ++errors;
    } else if (r->outcome == RotateOutcome::kRotated) {
      ++rotated;
    } else if (r->outcome == RotateOutcome::kReused) {
      ++reused;
    }
  });
  EXPECT_EQ(rotated, 1);
  EXPECT_EQ(reused, kRacers - 1);
  EXPECT_EQ(errors, 0);
  // Exactly one successor exists: the family did not fork.
  int children = 0;
  for (const auto& s : successors) {
    const auto found = store().find_refresh_token(hash_secret(s));
    if (found.ok()) {
      ++children;
      EXPECT_EQ(found->parent_hash, hash_secret(first));
    }
  }
  EXPECT_EQ(children, 1);
}

TEST_P(StoreSuite, attacks_030_refresh_token_of_another_client) {
  const User u = add_user();
  const Client c = add_client();
  const Client thief = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string token = add_refresh(issued.grant);
  const auto r =
      store().rotate_refresh_token(rotate_request(token, thief.client_id, crypto::random_token()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  // Nothing changed: the rightful client still rotates.
  EXPECT_EQ(store()
                .rotate_refresh_token(rotate_request(token, c.client_id, crypto::random_token()))
                ->outcome,
            RotateOutcome::kRotated);
}

TEST_P(StoreSuite, attacks_032_refresh_fails_after_user_disabled) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  const std::string token = add_refresh(issued.grant);
  ASSERT_TRUE(store().set_user_disabled(u.id, true).ok());
  EXPECT_EQ(store()
                .rotate_refresh_token(rotate_request(token, c.client_id, crypto::random_token()))
                ->outcome,
            RotateOutcome::kRevoked);
  // Not consumed by the refusal.
  EXPECT_FALSE(store().find_refresh_token(hash_secret(token))->used_at.has_value());
}

TEST_P(StoreSuite, attacks_033_idle_and_absolute_expiry) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  // Idle expiry: the token itself.
  const std::string idle = add_refresh(issued.grant, 100, 1000);
  EXPECT_EQ(store()
                .rotate_refresh_token(
                    rotate_request(idle, c.client_id, crypto::random_token(), kNow + 100))
                ->outcome,
            RotateOutcome::kExpired);
  // Absolute expiry: rotation never extends the family.
  const IssuedCode other = issue_code(u, c);
  const std::string token = add_refresh(other.grant, 100, 150);
  const std::string next = crypto::random_token();
  auto req = rotate_request(token, c.client_id, next, kNow + 90);
  req.new_expires_at = kNow + 90 + 100;
  const auto r = store().rotate_refresh_token(req);
  ASSERT_EQ(r->outcome, RotateOutcome::kRotated);
  EXPECT_EQ(r->issued->expires_at, kNow + 150);
  EXPECT_EQ(store()
                .rotate_refresh_token(
                    rotate_request(next, c.client_id, crypto::random_token(), kNow + 150))
                ->outcome,
            RotateOutcome::kExpired);
}

TEST_P(StoreSuite, RefreshTokenCreationRules) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  RefreshToken t;
  t.token_hash = hash_secret("rt");
  t.grant_id = issued.grant.id;
  t.client_id = c.client_id;
  t.expires_at = kNow + 10;
  t.family_expires_at = kNow + 10;
  RefreshToken with_parent = t;
  with_parent.parent_hash = hash_secret("parent");
  EXPECT_EQ(store().create_refresh_token(with_parent).error().code, ErrorCode::kInvalidArgument);
  RefreshToken wrong_client = t;
  wrong_client.client_id = "someone-else";
  EXPECT_EQ(store().create_refresh_token(wrong_client).error().code, ErrorCode::kInvalidArgument);
  RefreshToken no_grant = t;
  no_grant.grant_id = "ghost";
  EXPECT_EQ(store().create_refresh_token(no_grant).error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(store().create_refresh_token(t).ok());
  EXPECT_EQ(store().create_refresh_token(t).error().code, ErrorCode::kAlreadyExists);
  ASSERT_TRUE(store().revoke_grant(issued.grant.id, kNow).ok());
  t.token_hash = hash_secret("rt2");
  EXPECT_EQ(store().create_refresh_token(t).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store().find_refresh_token(hash_secret("none")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().rotate_refresh_token(rotate_request("none", c.client_id, "n")).error().code,
            ErrorCode::kNotFound);
}

// --- access tokens and the revocation feed -----------------------------------------------------

TEST_P(StoreSuite, RevocationFeedIsOrderedIncrementalAndNeverReusesSeq) {
  ASSERT_TRUE(store().revoke_access_token("a", kNow + 10, kNow).ok());
  ASSERT_TRUE(store().revoke_access_token("b", kNow + 1000, kNow).ok());
  ASSERT_TRUE(store().revoke_access_token("a", kNow + 10, kNow).ok());  // idempotent
  ASSERT_TRUE(store().revoke_access_token("c", kNow + 1000, kNow).ok());
  const auto all = store().revoked_since(0, 100).value();
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].jti, "a");
  EXPECT_EQ(all[1].jti, "b");
  EXPECT_EQ(all[2].jti, "c");
  EXPECT_LT(all[0].seq, all[1].seq);
  EXPECT_LT(all[1].seq, all[2].seq);
  EXPECT_EQ(all[2].expires_at, kNow + 1000);
  const auto page = store().revoked_since(all[0].seq, 1).value();
  ASSERT_EQ(page.size(), 1U);
  EXPECT_EQ(page[0].jti, "b");
  EXPECT_TRUE(store().revoked_since(all[2].seq, 100)->empty());
  EXPECT_TRUE(store().is_access_token_revoked("b").value());
  EXPECT_FALSE(store().is_access_token_revoked("z").value());

  // Purging expired entries (including the newest) never lets a seq come back.
  ASSERT_TRUE(store().revoke_access_token("d", kNow + 10, kNow).ok());
  const std::int64_t last = store().revoked_since(all[2].seq, 100)->at(0).seq;
  ASSERT_TRUE(store().purge_expired(kNow + 20).ok());
  ASSERT_TRUE(store().revoke_access_token("e", kNow + 1000, kNow + 20).ok());
  const auto after = store().revoked_since(last, 100).value();
  ASSERT_EQ(after.size(), 1U);
  EXPECT_EQ(after[0].jti, "e");
  EXPECT_GT(after[0].seq, last);
}

TEST_P(StoreSuite, RecordingAnAccessTokenNeedsALiveGrant) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode issued = issue_code(u, c);
  AccessTokenRecord a{"jti-1", issued.grant.id, c.client_id, kNow, kNow + 300};
  ASSERT_TRUE(store().record_access_token(a).ok());
  EXPECT_EQ(store().record_access_token(a).error().code, ErrorCode::kAlreadyExists);
  AccessTokenRecord orphan{"jti-2", "ghost", c.client_id, kNow, kNow + 300};
  EXPECT_EQ(store().record_access_token(orphan).error().code, ErrorCode::kFailedPrecondition);
}

// --- consents ----------------------------------------------------------------------------------

TEST_P(StoreSuite, ConsentsUpsertFindAndDelete) {
  const User u = add_user();
  const Client c = add_client();
  ASSERT_TRUE(store().put_consent(Consent{u.id, c.client_id, "a", "r1", kNow, kNow}).ok());
  ASSERT_TRUE(
      store().put_consent(Consent{u.id, c.client_id, "a b", "r1 r2", kNow + 5, kNow + 5}).ok());
  const Consent got = store().find_consent(u.id, c.client_id).value();
  EXPECT_EQ(got.scope, "a b");
  EXPECT_EQ(got.resource, "r1 r2");
  EXPECT_EQ(got.created_at, kNow);
  EXPECT_EQ(got.updated_at, kNow + 5);
  EXPECT_EQ(store().put_consent(Consent{"ghost", c.client_id, "a", "r", kNow, kNow}).error().code,
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(store().delete_consent(u.id, c.client_id).ok());
  EXPECT_EQ(store().find_consent(u.id, c.client_id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().delete_consent(u.id, c.client_id).error().code, ErrorCode::kNotFound);
}

// --- signing keys ------------------------------------------------------------------------------

SigningKeyRecord make_key_record(KeyState state, Timestamp created_at) {
  const auto key = crypto::SigningKey::generate().value();
  SigningKeyRecord r;
  r.kid = key.kid();
  r.alg = "ES256";
  r.private_pem = key.to_pem().value();
  r.public_jwk = key.public_jwk();
  r.state = state;
  r.created_at = created_at;
  if (state == KeyState::kActive) {
    r.activated_at = created_at;
  }
  return r;
}

TEST_P(StoreSuite, attacks_038_signing_key_rotation_with_overlap) {
  const SigningKeyRecord first = make_key_record(KeyState::kActive, kNow);
  const SigningKeyRecord second = make_key_record(KeyState::kNext, kNow + 1);
  ASSERT_TRUE(store().add_signing_key(first).ok());
  ASSERT_TRUE(store().add_signing_key(second).ok());
  EXPECT_EQ(store().add_signing_key(first).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store().add_signing_key(make_key_record(KeyState::kActive, kNow + 2)).error().code,
            ErrorCode::kAlreadyExists);  // a second active key

  auto keys = store().list_signing_keys().value();
  ASSERT_EQ(keys.size(), 2U);
  EXPECT_EQ(keys[0].kid, first.kid);
  EXPECT_EQ(keys[0].private_pem, first.private_pem);
  EXPECT_EQ(keys[0].public_jwk, first.public_jwk);
  EXPECT_EQ(keys[0].state, KeyState::kActive);
  EXPECT_EQ(keys[1].state, KeyState::kNext);
  // The unsealed PEM is a working key.
  EXPECT_EQ(crypto::SigningKey::from_pem(keys[1].private_pem, crypto::JwsAlgorithm::kES256)->kid(),
            second.kid);

  ASSERT_TRUE(store().activate_signing_key(second.kid, kNow + 100).ok());
  keys = store().list_signing_keys().value();
  EXPECT_EQ(keys[0].state, KeyState::kRetired);
  EXPECT_EQ(keys[0].retired_at, kNow + 100);
  EXPECT_EQ(keys[1].state, KeyState::kActive);
  EXPECT_EQ(keys[1].activated_at, kNow + 100);

  EXPECT_EQ(store().activate_signing_key(first.kid, kNow).error().code,
            ErrorCode::kFailedPrecondition);  // retired keys do not come back
  EXPECT_EQ(store().delete_signing_key(second.kid).error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(store().delete_signing_key(first.kid).ok());
  EXPECT_EQ(store().list_signing_keys()->size(), 1U);
  EXPECT_EQ(store().delete_signing_key("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().activate_signing_key("nope", kNow).error().code, ErrorCode::kNotFound);
}

// --- CIMD cache --------------------------------------------------------------------------------

TEST_P(StoreSuite, CimdDocumentsUpsertAndFind) {
  const std::string url = "https://app.example/client.json";
  ASSERT_TRUE(
      store().put_cimd_document(CimdDocument{url, R"({"client_id":"x"})", kNow, kNow + 60}).ok());
  ASSERT_TRUE(store()
                  .put_cimd_document(CimdDocument{url, R"({"client_id":"y"})", kNow + 1, kNow + 61})
                  .ok());
  const CimdDocument got = store().find_cimd_document(url).value();
  EXPECT_EQ(got.document, R"({"client_id":"y"})");
  EXPECT_EQ(got.fetched_at, kNow + 1);
  EXPECT_EQ(got.expires_at, kNow + 61);
  EXPECT_EQ(store().find_cimd_document("https://other").error().code, ErrorCode::kNotFound);
}

// --- housekeeping ------------------------------------------------------------------------------

TEST_P(StoreSuite, PurgeDeletesOnlyWhatCanNoLongerMatter) {
  const User u = add_user();
  const Client c = add_client();
  const IssuedCode old_code = issue_code(u, c, 60);
  const IssuedCode fresh_code = issue_code(u, c, 600);
  const std::string expired_jti = add_access_token(fresh_code.grant, 10);
  const std::string live_jti = add_access_token(fresh_code.grant, 100000);
  const std::string idle_refresh = add_refresh(fresh_code.grant, 10, 100000);
  const std::string live_refresh = add_refresh(fresh_code.grant, 100000, 200000);
  ASSERT_TRUE(store().revoke_access_token("gone", kNow + 10, kNow).ok());
  ASSERT_TRUE(store().put_cimd_document(CimdDocument{"https://x", "{}", kNow, kNow + 10}).ok());

  const Timestamp later = kNow + 60 + 24 * 3600 + 1;
  const auto counts = store().purge_expired(later);
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->codes, 1);
  EXPECT_EQ(counts->access_tokens, 1);
  EXPECT_EQ(counts->refresh_tokens, 1);
  EXPECT_EQ(counts->revocations, 1);
  EXPECT_EQ(counts->cimd_documents, 1);
  EXPECT_EQ(store().consume_authorization_code(old_code.record.code_hash, later).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_refresh_token(hash_secret(idle_refresh)).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store().find_refresh_token(hash_secret(live_refresh)).ok());
  // A revoked grant stays a day (so replays still find it), then goes with its rows.
  ASSERT_TRUE(store().revoke_grant(fresh_code.grant.id, later).ok());
  EXPECT_EQ(store().purge_expired(later + 10)->grants, 0);
  EXPECT_EQ(store().purge_expired(later + 24 * 3600 + 1)->grants, 1);
  EXPECT_EQ(store().find_grant(fresh_code.grant.id).error().code, ErrorCode::kNotFound);
  (void)expired_jti;
  (void)live_jti;
}

// --- authorization (FGA) persistence ---------------------------------------------------------

AuthzTuple tuple(std::string object, std::string relation, std::string user) {
  return AuthzTuple{std::move(object), std::move(relation), std::move(user), "", ""};
}

TEST_P(StoreSuite, AuthzModelsAreWrittenFoundListedAndTheLatestIsTheGreatestId) {
  const std::string s1 = "01HSTORE1";
  EXPECT_EQ(store().latest_authz_model(s1).error().code, ErrorCode::kNotFound);
  // ULIDs sort by time: ...01 < ...02 < ...03. Written out of order on purpose.
  for (const char* id : {"01HZX00000000000000000002", "01HZX00000000000000000001",
                         "01HZX00000000000000000003"}) {
    ASSERT_TRUE(store().write_authz_model(AuthzModel{id, s1, kNow, R"({"schema_version":"1.1"})"}).ok());
  }
  ASSERT_TRUE(
      store().write_authz_model(AuthzModel{"01HZX00000000000000000009", "other", kNow, "{}"}).ok());
  const auto dup =
      store().write_authz_model(AuthzModel{"01HZX00000000000000000001", s1, kNow, "{}"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);

  auto found = store().find_authz_model(s1, "01HZX00000000000000000002");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->store_id, s1);
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(found->model, R"({"schema_version":"1.1"})");
  // Another FGA store's model is not found through this one.
  EXPECT_EQ(store().find_authz_model(s1, "01HZX00000000000000000009").error().code,
            ErrorCode::kNotFound);

  auto latest = store().latest_authz_model(s1);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->id, "01HZX00000000000000000003");

  auto first = store().list_authz_models(s1, PageRequest{2, ""});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->models.size(), 2U);
  EXPECT_EQ(first->models[0].id, "01HZX00000000000000000003");
  EXPECT_EQ(first->models[1].id, "01HZX00000000000000000002");
  ASSERT_FALSE(first->next_token.empty());
  auto second = store().list_authz_models(s1, PageRequest{2, first->next_token});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->models.size(), 1U);
  EXPECT_EQ(second->models[0].id, "01HZX00000000000000000001");
  EXPECT_TRUE(second->next_token.empty());
}

TEST_P(StoreSuite, TupleWritesAreAtomicWithOneRevisionPerCall) {
  const std::string s = "fga";
  AuthzTuple conditioned = tuple("document:1", "viewer", "user:bob");
  conditioned.condition_name = "in_office_hours";
  conditioned.condition_context = R"({"tz":"UTC"})";
  auto r1 = store().write_tuples(
      s, {tuple("document:1", "owner", "user:alice"), conditioned}, {}, kNow);
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(*r1, 1);

  // Writing an existing tuple (even with another condition) fails and changes nothing, the
  // delete in the same call included.
  AuthzTuple again = tuple("document:1", "viewer", "user:bob");
  auto dup = store().write_tuples(s, {again}, {tuple("document:1", "owner", "user:alice")}, kNow);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  // Deleting a tuple that does not exist fails and changes nothing, the write included.
  auto missing = store().write_tuples(
      s, {tuple("document:2", "owner", "user:alice")}, {tuple("document:9", "owner", "user:x")},
      kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // A tuple named twice in one call, and an empty call, are invalid.
  EXPECT_EQ(store()
                .write_tuples(s,
                              {tuple("document:3", "owner", "user:a")},
                              {tuple("document:3", "owner", "user:a")},
                              kNow)
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().write_tuples(s, {}, {}, kNow).error().code, ErrorCode::kInvalidArgument);

  auto all = store().load_all_tuples(s);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->revision, 1);  // failed calls used no revision
  ASSERT_EQ(all->tuples.size(), 2U);
  EXPECT_EQ(all->tuples[0].tuple, tuple("document:1", "owner", "user:alice"));
  EXPECT_EQ(all->tuples[1].tuple, conditioned);
  EXPECT_EQ(all->tuples[1].revision, 1);

  auto r2 = store().write_tuples(
      s, {tuple("document:2", "owner", "user:alice")}, {tuple("document:1", "owner", "user:alice")},
      kNow + 1);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(*r2, 2);
  // Revisions are per FGA store.
  auto other = store().write_tuples("other", {tuple("document:1", "owner", "user:z")}, {}, kNow);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, 1);
  all = store().load_all_tuples(s);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->revision, 2);
  ASSERT_EQ(all->tuples.size(), 2U);
  EXPECT_EQ(all->tuples[0].tuple.object, "document:1");
  EXPECT_EQ(all->tuples[1].tuple.object, "document:2");
  EXPECT_EQ(all->tuples[1].revision, 2);
  auto empty = store().load_all_tuples("nobody");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->revision, 0);
  EXPECT_TRUE(empty->tuples.empty());
}

TEST_P(StoreSuite, ReadTuplesFiltersExactlyOrByTypePrefix) {
  const std::string s = "fga";
  ASSERT_TRUE(store()
                  .write_tuples(s,
                                {tuple("document:1", "viewer", "user:alice"),
                                 tuple("document:1", "editor", "user:bob"),
                                 tuple("document:2", "viewer", "group:eng#member"),
                                 tuple("folder:1", "viewer", "user:alice"),
                                 tuple("documents:1", "viewer", "user:*")},
                                {},
                                kNow)
                  .ok());
  auto objects = [&](const AuthzTupleFilter& f) {
    std::vector<std::string> out;
    auto r = store().read_tuples(s, f);
    EXPECT_TRUE(r.ok());
    if (r.ok()) {
      for (const auto& t : *r) {
        out.push_back(t.tuple.object + "#" + t.tuple.relation + "@" + t.tuple.user);
      }
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(objects({}).size(), 5U);
  // "document:" is a type prefix: it does not match "documents:1".
  EXPECT_EQ(objects({"document:", "", ""}),
            (V{"document:1#editor@user:bob", "document:1#viewer@user:alice",
               "document:2#viewer@group:eng#member"}));
  EXPECT_EQ(objects({"document:1", "viewer", ""}), (V{"document:1#viewer@user:alice"}));
  EXPECT_EQ(objects({"", "viewer", "user:alice"}),
            (V{"document:1#viewer@user:alice", "folder:1#viewer@user:alice"}));
  EXPECT_EQ(objects({"", "", "group:"}), (V{"document:2#viewer@group:eng#member"}));
  EXPECT_EQ(objects({"", "", "user:*"}), (V{"documents:1#viewer@user:*"}));
  EXPECT_TRUE(objects({"document:3", "", ""}).empty());
  // Another FGA store sees none of them.
  auto other = store().read_tuples("other", {});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_P(StoreSuite, TupleChangeLogReturnsWholeRevisionsInOrder) {
  const std::string s = "fga";
  ASSERT_TRUE(store()
                  .write_tuples(s,
                                {tuple("doc:1", "viewer", "user:a"), tuple("doc:2", "viewer", "user:a"),
                                 tuple("doc:3", "viewer", "user:a")},
                                {},
                                kNow)
                  .ok());
  ASSERT_TRUE(
      store().write_tuples(s, {tuple("doc:4", "viewer", "user:a")}, {tuple("doc:1", "viewer", "user:a")}, kNow + 5)
          .ok());
  ASSERT_TRUE(store().write_tuples(s, {}, {tuple("doc:2", "viewer", "user:a")}, kNow + 9).ok());

  auto all = store().tuple_changes_since(s, 0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 6U);
  EXPECT_EQ((*all)[0].revision, 1);
  EXPECT_EQ((*all)[0].op, TupleOp::kWrite);
  EXPECT_EQ((*all)[0].tuple.object, "doc:1");
  EXPECT_EQ((*all)[0].changed_at, kNow);
  EXPECT_EQ((*all)[2].tuple.object, "doc:3");
  // Within revision 2 the delete comes first, as it was applied.
  EXPECT_EQ((*all)[3].revision, 2);
  EXPECT_EQ((*all)[3].op, TupleOp::kDelete);
  EXPECT_EQ((*all)[3].tuple.object, "doc:1");
  EXPECT_EQ((*all)[4].op, TupleOp::kWrite);
  EXPECT_EQ((*all)[4].tuple.object, "doc:4");
  EXPECT_EQ((*all)[5].revision, 3);
  EXPECT_EQ((*all)[5].changed_at, kNow + 9);

  // A limit inside revision 1 still returns all of revision 1 and nothing after it.
  auto first = store().tuple_changes_since(s, 0, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3U);
  EXPECT_EQ(first->back().revision, 1);
  auto rest = store().tuple_changes_since(s, 1, 2);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2U);
  EXPECT_EQ(rest->front().revision, 2);
  auto none = store().tuple_changes_since(s, 3, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreSuite, ConcurrentTupleWritesGetDistinctConsecutiveRevisions) {
  const std::string s = "fga";
  std::vector<std::int64_t> revisions(kRacers, 0);
  race([&](int i) {
    auto r = store().write_tuples(
        s, {tuple("doc:" + std::to_string(i), "viewer", "user:a")}, {}, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    revisions[static_cast<std::size_t>(i)] = *r;
  });
  std::sort(revisions.begin(), revisions.end());
  for (int i = 0; i < kRacers; ++i) {
    EXPECT_EQ(revisions[static_cast<std::size_t>(i)], i + 1);
  }
  auto changes = store().tuple_changes_since(s, 0, 1000);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), static_cast<std::size_t>(kRacers));
}

}  // namespace
}  // namespace mcpgate::store::testing
