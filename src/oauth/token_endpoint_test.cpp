// /token: codes, PKCE, client authentication, refresh rotation, access tokens
// (ATTACKS rows 17-38).

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "crypto/jwt.hpp"
#include "oauth/cli.hpp"
#include "oauth/key_manager.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::kAppRedirect;
using testing::Authorized;
using testing::Browser;
using testing::Call;
using testing::FakeExchange;
using testing::Harness;
using testing::authorize_code;
using testing::basic;
using testing::code_exchange;
using testing::jwt_payload;
using testing::kOpsSecret;
using testing::kTestIssuer;
using testing::kTestResource;
using testing::refresh_call;
using testing::token_call;

constexpr const char* kOpsRedirect = "https://ops.example.com/cb";

void expect_oauth_error(const FakeExchange& ex, const std::string& error, unsigned status = 400) {
  EXPECT_EQ(ex.status(), status) << ex.body();
  EXPECT_EQ(ex.json().value("error", ""), error) << ex.body();
  EXPECT_EQ(ex.header("Content-Type"), "application/json");
  EXPECT_EQ(ex.header("Cache-Control"), "no-store");
  EXPECT_EQ(ex.header("Pragma"), "no-cache");
}

class TokenTest : public ::testing::Test {
 protected:
  Authorized code(const std::string& client = "public-app", const std::string& redirect = kAppRedirect,
                  const std::string& scope = "calendar:read") {
    auto a = authorize_code(h, b, client, redirect, scope);
    EXPECT_FALSE(a.code.empty()) << a.final->status() << " " << a.final->header("Location") << a.final->body();
    return a;
  }
  // A full exchange for public-app; returns the token JSON.
  testing::Json tokens(const std::string& scope = "calendar:read") {
    auto a = code("public-app", kAppRedirect, scope);
    auto ex = h.call(code_exchange(a, "public-app"));
    EXPECT_EQ(ex->status(), 200u) << ex->body();
    return ex->json();
  }
  bool revoked(const std::string& access_token) {
    auto r = h.store().is_access_token_revoked(jwt_payload(access_token)["jti"].get<std::string>());
    return r.ok() && *r;
  }

  Harness h;
  Browser b{h};
};

TEST_F(TokenTest, CodeExchangeIssuesRfc9068TokenAndRefreshToken) {
  auto a = code("public-app", kAppRedirect, "calendar:write mail:read");
  auto ex = h.call(code_exchange(a, "public-app"));
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->header("Cache-Control"), "no-store");
  EXPECT_EQ(ex->header("Pragma"), "no-cache");
  EXPECT_EQ(ex->header("Content-Type"), "application/json");
  EXPECT_EQ(ex->header("Access-Control-Allow-Origin"), "*");
  auto body = ex->json();
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["expires_in"], 900);
  EXPECT_EQ(body["scope"], "calendar:write mail:read");
  ASSERT_TRUE(body["refresh_token"].is_string());
  EXPECT_GE(body["refresh_token"].get<std::string>().size(), 43u);
  const std::string at = body["access_token"];

  // Row 35: header.
  auto header = jwt_payload(at, 0);
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["typ"], "at+jwt");
  ASSERT_TRUE(header["kid"].is_string());
  // Row 36: claims.
  auto claims = jwt_payload(at);
  EXPECT_EQ(claims["iss"], kTestIssuer);
  EXPECT_EQ(claims["aud"], kTestResource);  // row 26
  EXPECT_EQ(claims["client_id"], "public-app");
  EXPECT_EQ(claims["scope"], "calendar:write mail:read");
  EXPECT_EQ(claims["sub"], h.store().find_user_by_username(store::kDefaultOrgId, "alice")->id);
  EXPECT_TRUE(claims["jti"].is_string());
  EXPECT_EQ(claims["org_id"], "default");  // the user's organization
  EXPECT_EQ(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>(), 900);
  // Signed by a key the JWKS publishes.
  auto jwks = h.call(Call{http::bhttp::verb::get, "/jwks.json", {}, "", "127.0.0.1"});
  auto set = crypto::JwkSet::from_json(jwks->json());
  ASSERT_TRUE(set.ok());
  crypto::JwtVerifyOptions options;
  options.allowed_algs = {crypto::JwsAlgorithm::kES256};
  options.typ = "at+jwt";
  EXPECT_TRUE(crypto::verify_jwt(at, *set, options).ok());
}

TEST_F(TokenTest, Attacks017CodeReplayRevokesGrant) {
  auto a = code();
  auto first = h.call(code_exchange(a, "public-app"));
  ASSERT_EQ(first->status(), 200u);
  const std::string at = first->json()["access_token"];
  const std::string rt = first->json()["refresh_token"];
  EXPECT_FALSE(revoked(at));

  auto replay = h.call(code_exchange(a, "public-app"));
  expect_oauth_error(*replay, "invalid_grant");
  EXPECT_TRUE(revoked(at)) << "the access token issued from the code is revoked";
  expect_oauth_error(*h.call(refresh_call(rt, "public-app")), "invalid_grant");
}

TEST_F(TokenTest, Attacks018CodeExpiresAfterSixtySeconds) {
  auto a = code();
  h.advance(61);
  expect_oauth_error(*h.call(code_exchange(a, "public-app")), "invalid_grant");
}

TEST_F(TokenTest, Attacks018CodeOfAnotherClientOrRedirectIsInvalidGrant) {
  auto a = code();
  auto other = h.call(token_call({{"grant_type", "authorization_code"},
                                  {"code", a.code},
                                  {"code_verifier", a.pkce.verifier}},
                                 {{"Authorization", basic("ops-dashboard", kOpsSecret)}}));
  expect_oauth_error(*other, "invalid_grant");
  // The code is spent by that attempt, even for its own client.
  expect_oauth_error(*h.call(code_exchange(a, "public-app")), "invalid_grant");
}

TEST_F(TokenTest, Attacks018RedirectUriMustBeRepeatedExactly) {
  auto a = code();
  auto ex = h.call(token_call({{"grant_type", "authorization_code"},
                               {"code", a.code},
                               {"redirect_uri", "https://app.example.com/other"},
                               {"code_verifier", a.pkce.verifier},
                               {"client_id", "public-app"}}));
  expect_oauth_error(*ex, "invalid_grant");
  // Omitted: refused too. /authorize always requires redirect_uri, so RFC 6749 §4.1.3 requires
  // it here; and the refusal burns the code.
  auto a2 = code();
  auto omitted = h.call(token_call({{"grant_type", "authorization_code"},
                                    {"code", a2.code},
                                    {"code_verifier", a2.pkce.verifier},
                                    {"client_id", "public-app"}}));
  expect_oauth_error(*omitted, "invalid_grant");
  auto again = h.call(code_exchange(a2, "public-app"));
  expect_oauth_error(*again, "invalid_grant");
}

TEST_F(TokenTest, Attacks019PkceVerifierChecks) {
  auto a = code();
  auto wrong = a;
  wrong.pkce.verifier = std::string(50, 'w');
  expect_oauth_error(*h.call(code_exchange(wrong, "public-app")), "invalid_grant");
  // A failed verifier burns the code.
  expect_oauth_error(*h.call(code_exchange(a, "public-app")), "invalid_grant");

  auto missing = code();
  auto ex = h.call(token_call({{"grant_type", "authorization_code"},
                               {"code", missing.code},
                               {"client_id", "public-app"}}));
  expect_oauth_error(*ex, "invalid_grant");

  auto syntax = code();
  auto bad = syntax;
  bad.pkce.verifier = "short";
  expect_oauth_error(*h.call(code_exchange(bad, "public-app")), "invalid_request");
  bad.pkce.verifier = std::string(43, 'a') + "!";
  expect_oauth_error(*h.call(code_exchange(bad, "public-app")), "invalid_request");
  EXPECT_EQ(h.call(code_exchange(syntax, "public-app"))->status(), 200u)
      << "a malformed request does not spend the code";
}

TEST_F(TokenTest, Attacks019VerifierWithoutChallengeIsADowngrade) {
  // /authorize never issues such a code; plant one as an older client would have it.
  const std::string user_id = h.store().find_user_by_username(store::kDefaultOrgId, "alice")->id;
  store::Grant grant{"grant-downgrade", user_id, "public-app", "calendar:read", kTestResource, h.now(), std::nullopt};
  store::AuthorizationCode record;
  const std::string code = "plain-code-without-challenge-0123456789abcdef";
  record.code_hash = store::hash_secret(code);
  record.grant_id = grant.id;
  record.client_id = "public-app";
  record.user_id = user_id;
  record.redirect_uri = kAppRedirect;
  record.scope = grant.scope;
  record.resource = grant.resource;
  record.created_at = h.now();
  record.expires_at = h.now() + 60;
  ASSERT_TRUE(h.store().create_authorization_code(grant, record).ok());
  auto ex = h.call(token_call({{"grant_type", "authorization_code"},
                               {"code", code},
                               {"code_verifier", std::string(43, 'v')},
                               {"client_id", "public-app"}}));
  expect_oauth_error(*ex, "invalid_grant");
}

TEST_F(TokenTest, Attacks020UnsupportedGrantTypes) {
  for (const char* g : {"password", "client_credentials", "implicit",
                        "urn:ietf:params:oauth:grant-type:jwt-bearer", "foo"}) {
    auto ex = h.call(token_call({{"grant_type", g}, {"client_id", "public-app"},
                                 {"username", "alice"}, {"password", testing::kAlicePassword}}));
    expect_oauth_error(*ex, "unsupported_grant_type");
  }
  expect_oauth_error(*h.call(token_call({{"client_id", "public-app"}})), "invalid_request");
}

TEST_F(TokenTest, Attacks021ConfidentialClientBasicWithUrlEncodedSecret) {
  auto a = code("ops-dashboard", kOpsRedirect);
  auto ex = h.call(token_call({{"grant_type", "authorization_code"},
                               {"code", a.code},
                               {"redirect_uri", kOpsRedirect},
                               {"code_verifier", a.pkce.verifier}},
                              {{"Authorization", basic("ops-dashboard", kOpsSecret)}}));
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(jwt_payload(ex->json()["access_token"])["client_id"], "ops-dashboard");
}

TEST_F(TokenTest, Attacks021ClientAuthenticationFailures) {
  auto try_auth = [&](std::vector<std::pair<std::string, std::string>> form,
                      std::vector<std::pair<std::string, std::string>> headers) {
    auto a = code("ops-dashboard", kOpsRedirect);
    form.insert(form.begin(), {{"grant_type", "authorization_code"},
                               {"code", a.code},
                               {"redirect_uri", a.redirect_uri},
                               {"code_verifier", a.pkce.verifier}});
    return h.call(token_call(form, headers));
  };
  // Wrong secret.
  auto wrong = try_auth({}, {{"Authorization", basic("ops-dashboard", "wrong")}});
  expect_oauth_error(*wrong, "invalid_client", 401);
  EXPECT_EQ(wrong->header("WWW-Authenticate").rfind("Basic", 0), 0u);
  // Another client's secret.
  expect_oauth_error(*try_auth({}, {{"Authorization", basic("ops-dashboard", "post-secret-0123456789")}}),
                     "invalid_client", 401);
  // Unencoded secret (RFC 6749 §2.3.1 says encode): '+' and '%e2' decode to something else.
  {
    std::string raw = crypto::base64_unpadded_encode(std::string("ops-dashboard:") + kOpsSecret);
    while (raw.size() % 4 != 0) {
      raw += '=';
    }
    expect_oauth_error(*try_auth({}, {{"Authorization", "Basic " + raw}}), "invalid_client", 401);
  }
  // Both Basic and a body secret.
  expect_oauth_error(*try_auth({{"client_secret", kOpsSecret}, {"client_id", "ops-dashboard"}},
                               {{"Authorization", basic("ops-dashboard", kOpsSecret)}}),
                     "invalid_client", 401);
  // "none" for a confidential client.
  expect_oauth_error(*try_auth({{"client_id", "ops-dashboard"}}, {}), "invalid_client", 401);
  // Body client_id differs from the Basic one.
  expect_oauth_error(*try_auth({{"client_id", "public-app"}},
                               {{"Authorization", basic("ops-dashboard", kOpsSecret)}}),
                     "invalid_client", 401);
  // Unknown client.
  expect_oauth_error(*try_auth({}, {{"Authorization", basic("nobody", "x")}}), "invalid_client", 401);
  // Malformed Basic.
  expect_oauth_error(*try_auth({}, {{"Authorization", "Basic !!!"}}), "invalid_client", 401);
  // client_secret_post works for a basic-registered client (same secret).
  auto post = try_auth({{"client_id", "ops-dashboard"}, {"client_secret", kOpsSecret}}, {});
  EXPECT_EQ(post->status(), 200u) << post->body();
}

// The secret is checked against the client row that was just read (no second read): a wrong,
// expired or replaced secret, or a disabled client, still fails, and a good one still passes.
// With client authentication passed, a bogus refresh token is invalid_grant (400); failed
// client authentication is invalid_client (401) before the grant is looked at.
TEST_F(TokenTest, Attacks021SecretIsCheckedAgainstTheCurrentRow) {
  store::Client c;
  c.client_id = "dcr-expiring";
  c.kind = store::ClientKind::kDcr;
  c.metadata = {{"redirect_uris", {"https://dcr.example.com/cb"}},
                {"grant_types", {"authorization_code", "refresh_token"}},
                {"token_endpoint_auth_method", "client_secret_basic"}};
  c.secret_hash = store::hash_secret("first-secret-0123456789");
  c.secret_expires_at = h.now() + 100;
  c.created_at = h.now();
  ASSERT_TRUE(h.store().create_client(c).ok());
  auto attempt = [&](const std::string& secret) {
    return h.call(token_call({{"grant_type", "refresh_token"}, {"refresh_token", "bogus"}},
                             {{"Authorization", basic(c.client_id, secret)}}));
  };
  expect_oauth_error(*attempt("first-secret-0123456789"), "invalid_grant", 400);
  expect_oauth_error(*attempt("first-secret-012345678"), "invalid_client", 401);
  expect_oauth_error(*attempt(""), "invalid_client", 401);
  // A new secret replaces the old one at once.
  c.secret_hash = store::hash_secret("second-secret-0123456789");
  ASSERT_TRUE(h.store().update_client(c).ok());
  expect_oauth_error(*attempt("first-secret-0123456789"), "invalid_client", 401);
  expect_oauth_error(*attempt("second-secret-0123456789"), "invalid_grant", 400);
  // Disabled.
  ASSERT_TRUE(h.store().set_client_disabled(c.client_id, true, h.now()).ok());
  expect_oauth_error(*attempt("second-secret-0123456789"), "invalid_client", 401);
  ASSERT_TRUE(h.store().set_client_disabled(c.client_id, false, h.now()).ok());
  expect_oauth_error(*attempt("second-secret-0123456789"), "invalid_grant", 400);
  // Expired: at client_secret_expires_at and after.
  h.advance(100);
  expect_oauth_error(*attempt("second-secret-0123456789"), "invalid_client", 401);
}

TEST_F(TokenTest, Attacks021PublicClientCannotSendASecret) {
  auto a = code();
  auto ex = h.call(code_exchange(a, "public-app", {{"client_secret", "anything"}}));
  expect_oauth_error(*ex, "invalid_client", 401);
}

TEST_F(TokenTest, Attacks024ErrorsAreJsonAndRepeatedParametersRefused) {
  auto a = code();
  auto ex = h.call(code_exchange(a, "public-app", {{"code", "second"}}));
  expect_oauth_error(*ex, "invalid_request");
  Call not_form = token_call({{"grant_type", "authorization_code"}});
  not_form.headers = {{"Content-Type", "application/json"}};
  expect_oauth_error(*h.call(not_form), "invalid_request");
  Call get;
  get.target = "/token";
  EXPECT_EQ(h.call(get)->status(), 405u);
}

TEST_F(TokenTest, Attacks025TokenResourceMustBeTheAuthorizedOne) {
  Harness::Setup setup;
  setup.options.resources = {kTestResource, "https://other.example.com/mcp"};
  Harness two(setup);
  Browser b2(two);
  auto a = authorize_code(two, b2, "public-app", kAppRedirect);
  ASSERT_FALSE(a.code.empty());
  auto other = two.call(code_exchange(a, "public-app", {}));
  // code_exchange sends kTestResource: the same as authorized.
  ASSERT_EQ(other->status(), 200u) << other->body();
  const std::string rt = other->json()["refresh_token"];
  expect_oauth_error(*two.call(refresh_call(rt, "public-app", {{"resource", "https://other.example.com/mcp"}})),
                     "invalid_target");
  expect_oauth_error(*two.call(refresh_call(rt, "public-app", {{"resource", "https://unknown.example.com/mcp"}})),
                     "invalid_target");
  auto a2 = authorize_code(two, b2, "public-app", kAppRedirect);
  auto widened = two.call(testing::token_call({{"grant_type", "authorization_code"},
                                               {"code", a2.code},
                                               {"redirect_uri", a2.redirect_uri},
                                               {"code_verifier", a2.pkce.verifier},
                                               {"client_id", "public-app"},
                                               {"resource", "https://other.example.com/mcp"}}));
  expect_oauth_error(*widened, "invalid_target");
  // The refused narrowing did not spend the refresh token.
  EXPECT_EQ(two.call(refresh_call(rt, "public-app"))->status(), 200u);
}

TEST_F(TokenTest, Attacks027RefreshRotatesOnEveryUse) {
  auto t = tokens();
  std::string rt = t["refresh_token"];
  std::set<std::string> seen = {rt};
  for (int i = 0; i < 3; ++i) {
    auto ex = h.call(refresh_call(rt, "public-app", {{"resource", kTestResource}}));
    ASSERT_EQ(ex->status(), 200u) << ex->body();
    rt = ex->json()["refresh_token"];
    EXPECT_TRUE(seen.insert(rt).second) << "a new refresh token each time";
    EXPECT_EQ(jwt_payload(ex->json()["access_token"])["aud"], kTestResource);
    EXPECT_EQ(ex->json()["scope"], "calendar:read");
  }
}

TEST_F(TokenTest, Attacks028RefreshReuseRevokesFamilyAndAccessTokens) {
  auto t = tokens();
  const std::string rt1 = t["refresh_token"];
  auto second = h.call(refresh_call(rt1, "public-app"));
  ASSERT_EQ(second->status(), 200u);
  const std::string rt2 = second->json()["refresh_token"];
  const std::string at2 = second->json()["access_token"];

  expect_oauth_error(*h.call(refresh_call(rt1, "public-app")), "invalid_grant");
  // The successor dies with the family.
  expect_oauth_error(*h.call(refresh_call(rt2, "public-app")), "invalid_grant");
  EXPECT_TRUE(revoked(at2));
  EXPECT_TRUE(revoked(t["access_token"]));
}

TEST_F(TokenTest, Attacks030RefreshTokenOfAnotherClient) {
  auto t = tokens();
  const std::string rt = t["refresh_token"];
  auto ex = h.call(token_call({{"grant_type", "refresh_token"}, {"refresh_token", rt}},
                              {{"Authorization", basic("ops-dashboard", kOpsSecret)}}));
  expect_oauth_error(*ex, "invalid_grant");
  EXPECT_EQ(h.call(refresh_call(rt, "public-app"))->status(), 200u)
      << "the owner's token is untouched";
}

TEST_F(TokenTest, Attacks032RefreshFailsAfterUserDisabledOrPasswordChange) {
  auto t = tokens();
  auto user = h.store().find_user_by_username(store::kDefaultOrgId, "alice");
  ASSERT_TRUE(h.store().set_user_disabled(user->id, true).ok());
  expect_oauth_error(*h.call(refresh_call(t["refresh_token"], "public-app")), "invalid_grant");
  ASSERT_TRUE(h.store().set_user_disabled(user->id, false).ok());

  auto t2 = tokens();
  ASSERT_TRUE(set_user_password(h.store(), "alice", "a-new-password-123", h.now()).ok());
  expect_oauth_error(*h.call(refresh_call(t2["refresh_token"], "public-app")), "invalid_grant");
  EXPECT_TRUE(revoked(t2["access_token"]));
}

TEST_F(TokenTest, Attacks033IdleAndAbsoluteExpiry) {
  Harness::Setup setup;
  setup.options.refresh_idle_ttl_s = 100;
  setup.options.refresh_token_ttl_s = 250;
  Harness short_lived(setup);
  Browser b2(short_lived);
  auto a = authorize_code(short_lived, b2, "public-app", kAppRedirect);
  auto first = short_lived.call(code_exchange(a, "public-app"));
  ASSERT_EQ(first->status(), 200u);
  std::string rt = first->json()["refresh_token"];
  // Used within the idle window: keeps going.
  for (int i = 0; i < 2; ++i) {
    short_lived.advance(90);
    auto ex = short_lived.call(refresh_call(rt, "public-app"));
    ASSERT_EQ(ex->status(), 200u) << i << ex->body();
    rt = ex->json()["refresh_token"];
  }
  // 180 s in; the family ends at 250 whatever the activity.
  short_lived.advance(80);
  expect_oauth_error(*short_lived.call(refresh_call(rt, "public-app")), "invalid_grant");

  // Idle expiry on its own.
  auto a2 = authorize_code(short_lived, b2, "public-app", kAppRedirect);
  auto t2 = short_lived.call(code_exchange(a2, "public-app"));
  ASSERT_EQ(t2->status(), 200u);
  short_lived.advance(101);
  expect_oauth_error(*short_lived.call(refresh_call(t2->json()["refresh_token"], "public-app")),
                     "invalid_grant");
}

TEST_F(TokenTest, RefreshScopeMayOnlyNarrow) {
  auto a = code("public-app", kAppRedirect, "calendar:write");
  auto t = h.call(code_exchange(a, "public-app"));
  ASSERT_EQ(t->status(), 200u);
  const std::string rt = t->json()["refresh_token"];
  expect_oauth_error(*h.call(refresh_call(rt, "public-app", {{"scope", "mail:read"}})), "invalid_scope");
  expect_oauth_error(*h.call(refresh_call(rt, "public-app", {{"scope", "admin"}})), "invalid_scope");
  auto narrow = h.call(refresh_call(rt, "public-app", {{"scope", "calendar:read"}}));
  ASSERT_EQ(narrow->status(), 200u) << narrow->body();
  EXPECT_EQ(narrow->json()["scope"], "calendar:read");
  EXPECT_EQ(jwt_payload(narrow->json()["access_token"])["scope"], "calendar:read");
  // The family keeps its full scope.
  auto next = h.call(refresh_call(narrow->json()["refresh_token"], "public-app"));
  ASSERT_EQ(next->status(), 200u);
  EXPECT_EQ(next->json()["scope"], "calendar:write");
}

TEST_F(TokenTest, Attacks038KeyRotationPublishesBeforeUseAndKeepsOldKeys) {
  auto before = tokens();
  const std::string old_kid = jwt_payload(before["access_token"], 0)["kid"];
  auto jwks = h.call(Call{http::bhttp::verb::get, "/jwks.json", {}, "", "127.0.0.1"})->json();
  ASSERT_EQ(jwks["keys"].size(), 2u) << "active + next published from the start";
  std::string next_kid;
  for (const auto& k : jwks["keys"]) {
    if (k["kid"] != old_kid) {
      next_kid = k["kid"];
    }
  }
  auto rotated = rotate_signing_keys(h.store(), h.now());
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(*rotated, next_kid) << "the published next key becomes active";
  ASSERT_TRUE(h.as().maintain_once().ok());
  auto after = tokens();
  EXPECT_EQ(jwt_payload(after["access_token"], 0)["kid"], next_kid);
  auto jwks2 = h.call(Call{http::bhttp::verb::get, "/jwks.json", {}, "", "127.0.0.1"})->json();
  ASSERT_EQ(jwks2["keys"].size(), 3u) << "retired + active + new next";
  auto set = crypto::JwkSet::from_json(jwks2);
  crypto::JwtVerifyOptions options;
  options.allowed_algs = {crypto::JwsAlgorithm::kES256};
  EXPECT_TRUE(crypto::verify_jwt(before["access_token"].get<std::string>(), *set, options).ok());
  // After the retired key's tokens have expired it is dropped.
  h.advance(kKeyRetireAfterS + 1);
  ASSERT_TRUE(h.as().maintain_once().ok());
  auto jwks3 = h.call(Call{http::bhttp::verb::get, "/jwks.json", {}, "", "127.0.0.1"})->json();
  EXPECT_EQ(jwks3["keys"].size(), 2u);
  for (const auto& k : jwks3["keys"]) {
    EXPECT_NE(k["kid"], old_kid);
  }
}

}  // namespace
}  // namespace mcpgate::oauth
