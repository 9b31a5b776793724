#pragma once
// The backend-agnostic conformance suite for store::Store (tests only).
//
// Every backend instantiates it once with factories that make a fresh, empty store:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreSuite,
//       ::testing::Values(StoreFactory{"Memory", [] { return make_memory_store(); }}),
//       store_factory_name);
//
// A factory may return nullptr to skip (e.g. PostgreSQL when MCPGATE_TEST_PG_URL is unset); if it
// also records a failure (ADD_FAILURE), the test fails instead. The
// TEST_P bodies live in store_suite_test.cpp, which is compiled into the module's test binary
// once; this header only declares the fixture and its helpers.

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "crypto/master_key.hpp"
#include "crypto/random.hpp"
#include "store/store.hpp"

namespace mcpgate::store::testing {

// The fixed "now" of the store tests.
inline constexpr Timestamp kNow = 1'700'000'000;

// A fresh random master key.
inline crypto::MasterKey test_master_key() {
  return crypto::MasterKey::from_bytes(crypto::random_bytes(32)).value();
}

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;
};

inline std::string store_factory_name(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

// What issue_code() made: the clear values exist only in the test.
struct IssuedCode {
  std::string code;
  Grant grant;
  AuthorizationCode record;
};

class StoreSuite : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    if (!store_) {
      // A factory that was required to work (MCPGATE_REQUIRE_PG=1) has recorded a failure:
      // make it fatal so the body does not run on a null store.
      if (HasFailure()) {
        FAIL() << GetParam().name << " backend required but unavailable";
      }
      GTEST_SKIP() << GetParam().name << " backend unavailable";
    }
  }

  Store& store() { return *store_; }

  User add_user(const std::string& username = "alice") {
    User u;
    u.id = crypto::random_id();
    u.username = username;
    u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    u.created_at = kNow;
    EXPECT_TRUE(store().create_user(u).ok());
    return u;
  }

  Client add_client(const std::string& secret = "", ClientKind kind = ClientKind::kDcr) {
    Client c;
    c.client_id = "client-" + crypto::random_id();
    c.kind = kind;
    c.metadata = {{"client_name", "Test"}, {"redirect_uris", {"https://app.example/cb"}}};
    if (!secret.empty()) {
      c.secret_hash = hash_secret(secret);
    }
    c.created_at = kNow;
    const auto r = store().create_client(c);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return c;
  }

  IssuedCode issue_code(const User& user, const Client& client, Timestamp ttl = 600) {
    IssuedCode out;
    out.code = crypto::random_token();
    out.grant.id = crypto::random_id();
    out.grant.user_id = user.id;
    out.grant.client_id = client.client_id;
    out.grant.scope = "mcp:tools";
    out.grant.resource = "https://mcp.example/mcp";
    out.grant.created_at = kNow;
    out.record.code_hash = hash_secret(out.code);
    out.record.grant_id = out.grant.id;
    out.record.client_id = client.client_id;
    out.record.user_id = user.id;
    out.record.redirect_uri = "https://app.example/cb";
    out.record.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    out.record.code_challenge_method = "S256";
    out.record.scope = out.grant.scope;
    out.record.resource = out.grant.resource;
    out.record.extra = {{"auth_time", kNow}};
    out.record.created_at = kNow;
    out.record.expires_at = kNow + ttl;
    const auto r = store().create_authorization_code(out.grant, out.record);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return out;
  }

  // The first refresh token of a grant; returns the clear token.
  std::string add_refresh(const Grant& grant, Timestamp ttl = 3600, Timestamp family_ttl = 86400) {
    const std::string token = crypto::random_token();
    RefreshToken t;
    t.token_hash = hash_secret(token);
    t.grant_id = grant.id;
    t.client_id = grant.client_id;
    t.scope = grant.scope;
    t.resource = grant.resource;
    t.created_at = kNow;
    t.expires_at = kNow + ttl;
    t.family_expires_at = kNow + family_ttl;
    const auto r = store().create_refresh_token(t);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return token;
  }

  std::string add_access_token(const Grant& grant, Timestamp ttl = 300) {
    AccessTokenRecord a;
    a.jti = crypto::random_id();
    a.grant_id = grant.id;
    a.client_id = grant.client_id;
    a.issued_at = kNow;
    a.expires_at = kNow + ttl;
    const auto r = store().record_access_token(a);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return a.jti;
  }

  RotateRequest rotate_request(const std::string& old_token,
                               const std::string& client_id,
                               const std::string& new_token,
                               Timestamp now = kNow + 10) {
    RotateRequest r;
    r.old_hash = hash_secret(old_token);
    r.client_id = client_id;
    r.new_hash = hash_secret(new_token);
    r.new_expires_at = now + 3600;
    r.now = now;
    return r;
  }

  std::unique_ptr<Store> store_;
};

}  // namespace mcpgate::store::testing
