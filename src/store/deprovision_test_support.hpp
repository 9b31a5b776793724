#pragma once
// Test support for Store::deprovision_user / reactivate_user (tests only): a user with
// everything deprovisioning must cut — two grants (one with a refresh-token family and two
// access tokens, one with an unconsumed code), vault connections in two tenants (one active,
// one needing consent again) — next to a second user who must stay untouched. Used by the store
// suite (store_suite_deprovision_test.cpp) and by each backend's all-or-nothing test, which
// makes the transaction fail at its last step.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/random.hpp"
#include "store/store.hpp"

namespace mcpgate::store::testing {

inline constexpr Timestamp kDeprovisionT0 = 1'700'000'000;

struct DeprovisionFixture {
  User user;
  User other;
  Client client;
  Grant grant_a;            // refresh family + two access tokens
  Grant grant_b;            // an unconsumed code + one access token
  Grant other_grant;        // the other user's
  std::string refresh_a;    // clear refresh token of grant_a
  std::string code_b;       // clear code of grant_b
  std::vector<std::string> jtis;  // the user's three access tokens
  std::string other_jti;
  std::string other_refresh;
  VaultConnection conn_active;     // tenant "acme", active
  VaultConnection conn_reconsent;  // tenant "globex", needs_reconsent
  VaultConnection other_conn;
};

namespace deprovision_detail {

inline User make_user(Store& s, const std::string& name) {
  User u;
  u.id = "usr_" + crypto::random_id();
  u.username = name + "-" + crypto::random_id().substr(0, 8);
  u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
  u.created_at = kDeprovisionT0;
  const auto r = s.create_user(u);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return u;
}

// Grant + code; returns the clear code.
inline std::string make_grant(Store& s, const User& u, const Client& c, Grant& grant) {
  grant.id = "grt_" + crypto::random_id();
  grant.user_id = u.id;
  grant.client_id = c.client_id;
  grant.scope = "mcp:tools";
  grant.resource = "https://mcp.example/mcp";
  grant.created_at = kDeprovisionT0;
  const std::string code = crypto::random_token();
  AuthorizationCode rec;
  rec.code_hash = hash_secret(code);
  rec.grant_id = grant.id;
  rec.client_id = c.client_id;
  rec.user_id = u.id;
  rec.redirect_uri = "https://app.example/cb";
  rec.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  rec.code_challenge_method = "S256";
  rec.scope = grant.scope;
  rec.resource = grant.resource;
  rec.created_at = kDeprovisionT0;
  rec.expires_at = kDeprovisionT0 + 600;
  const auto r = s.create_authorization_code(grant, rec);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return code;
}

inline std::string make_refresh(Store& s, const Grant& g) {
  const std::string token = crypto::random_token();
  RefreshToken t;
  t.token_hash = hash_secret(token);
  t.grant_id = g.id;
  t.client_id = g.client_id;
  t.scope = g.scope;
  t.resource = g.resource;
  t.created_at = kDeprovisionT0;
  t.expires_at = kDeprovisionT0 + 3600;
  t.family_expires_at = kDeprovisionT0 + 86400;
  const auto r = s.create_refresh_token(t);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return token;
}

inline std::string make_access(Store& s, const Grant& g) {
  AccessTokenRecord a;
  a.jti = "jti_" + crypto::random_id();
  a.grant_id = g.id;
  a.client_id = g.client_id;
  a.issued_at = kDeprovisionT0;
  a.expires_at = kDeprovisionT0 + 900;
  const auto r = s.record_access_token(a);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return a.jti;
}

inline VaultConnection make_conn(Store& s, const std::string& tenant, const User& u,
                                 VaultConnectionStatus status) {
  VaultConnection c;
  c.id = "vc_" + crypto::random_id();
  c.tenant = tenant;
  c.user_id = u.id;
  c.connector = "github";
  c.status = status;
  c.expires_at = kDeprovisionT0 + 3600;
  c.scopes = "repo";
  c.data_key_version = 1;
  c.access_token_sealed = std::string("\x01\x00sealed-at", 11);
  c.refresh_token_sealed = std::string("\x01\xffsealed-rt", 11);
  c.created_at = kDeprovisionT0;
  c.updated_at = kDeprovisionT0;
  const auto r = s.insert_vault_connection(c);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  c.version = 1;
  return c;
}

}  // namespace deprovision_detail

inline DeprovisionFixture seed_deprovision_fixture(Store& s) {
  using namespace deprovision_detail;
  DeprovisionFixture f;
  f.user = make_user(s, "leaver");
  f.other = make_user(s, "stayer");
  f.client.client_id = "client-" + crypto::random_id();
  f.client.metadata = {{"client_name", "Test"}, {"redirect_uris", {"https://app.example/cb"}}};
  f.client.created_at = kDeprovisionT0;
  EXPECT_TRUE(s.create_client(f.client).ok());
  (void)make_grant(s, f.user, f.client, f.grant_a);
  f.refresh_a = make_refresh(s, f.grant_a);
  f.jtis.push_back(make_access(s, f.grant_a));
  f.jtis.push_back(make_access(s, f.grant_a));
  f.code_b = make_grant(s, f.user, f.client, f.grant_b);
  f.jtis.push_back(make_access(s, f.grant_b));
  (void)make_grant(s, f.other, f.client, f.other_grant);
  f.other_refresh = make_refresh(s, f.other_grant);
  f.other_jti = make_access(s, f.other_grant);
  f.conn_active = make_conn(s, "acme", f.user, VaultConnectionStatus::kActive);
  f.conn_reconsent = make_conn(s, "globex", f.user, VaultConnectionStatus::kNeedsReconsent);
  f.other_conn = make_conn(s, "acme", f.other, VaultConnectionStatus::kActive);
  return f;
}

// A refresh of `token` (at t0 + 10) and what it came to.
inline RotateOutcome try_refresh(Store& s, const std::string& token, const Client& c) {
  RotateRequest r;
  r.old_hash = hash_secret(token);
  r.client_id = c.client_id;
  r.new_hash = hash_secret(crypto::random_token());
  r.new_expires_at = kDeprovisionT0 + 3600;
  r.now = kDeprovisionT0 + 10;
  auto rotated = s.rotate_refresh_token(r);
  EXPECT_TRUE(rotated.ok()) << (rotated.ok() ? "" : rotated.error().message);
  return rotated.ok() ? rotated->outcome : RotateOutcome::kExpired;
}

// Nothing of the fixture's user changed (a failed deprovisioning rolled back entirely). Checks
// without spending anything (no rotation, no code redemption).
inline void expect_fixture_untouched(Store& s, const DeprovisionFixture& f) {
  const auto user = s.find_user(f.user.id);
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_FALSE(user->disabled);
  EXPECT_EQ(user->deprovisioned_at, 0);
  const auto grants = s.list_user_grants(f.user.id);
  ASSERT_TRUE(grants.ok());
  EXPECT_EQ(grants->size(), 2U);
  const auto refresh = s.find_refresh_token(hash_secret(f.refresh_a));
  ASSERT_TRUE(refresh.ok());
  EXPECT_FALSE(refresh->revoked_at.has_value());
  for (const auto& jti : f.jtis) {
    EXPECT_FALSE(s.is_access_token_revoked(jti).value_or(true)) << jti;
  }
  for (const auto* c : {&f.conn_active, &f.conn_reconsent}) {
    const auto row = s.find_vault_connection(c->tenant, c->user_id, c->connector);
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->suspended_at, 0);
    EXPECT_EQ(row->version, c->version);
  }
}

}  // namespace mcpgate::store::testing
