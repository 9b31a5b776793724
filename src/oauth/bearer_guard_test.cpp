// The resource-server guard of the MCP endpoint (ATTACKS rows 35-36, 101-108), with real tokens
// from a real AuthorizationServer and hand-signed ones for the forgeries.

#include "oauth/bearer_guard.hpp"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/jws.hpp"
#include "crypto/jwt.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::kAppRedirect;
using testing::authorize_code;
using testing::Browser;
using testing::code_exchange;
using testing::form_post;
using testing::Harness;
using testing::Json;
using testing::jwt_payload;
using testing::kTestIssuer;
using testing::kTestResource;

constexpr const char* kPrmUrl = "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp";
constexpr const char* kAllScopes = "calendar:read calendar:write mail:read mail:write";

http::Request mcp_request(const std::vector<std::string>& authorization,
                          const std::string& target = "/mcp") {
  http::Request req{http::bhttp::verb::post, target, 11};
  req.set(http::Field::host, "127.0.0.1:8080");
  for (const auto& value : authorization) {
    req.insert(http::Field::authorization, value);
  }
  return req;
}

std::string header_of(const http::Response& res, http::Field field) {
  auto it = res.find(field);
  return it == res.end() ? std::string() : std::string(it->value());
}

std::string challenge(const http::Response& res) {
  return header_of(res, http::Field::www_authenticate);
}

// A JWS from a header and claims, signed by `key` whatever the header says.
std::string sign_raw(const Json& header, const Json& claims, const crypto::SigningKey& key) {
  const std::string input =
      crypto::base64url_encode(header.dump()) + "." + crypto::base64url_encode(claims.dump());
  auto sig = crypto::jws_sign(key, input);
  EXPECT_TRUE(sig.ok());
  return input + "." + crypto::base64url_encode(*sig);
}

class BearerGuardTest : public ::testing::Test {
 protected:
  BearerGuardTest() { guard = make_guard(); }

  BearerGuardOptions options(std::size_t capacity = 65536) const {
    BearerGuardOptions o;
    o.issuer = kTestIssuer;
    o.resource = kTestResource;
    o.resource_metadata_url = kPrmUrl;
    o.leeway_s = 30;
    o.cache_capacity = capacity;
    return o;
  }

  std::unique_ptr<BearerGuard> make_guard(std::size_t capacity = 65536) {
    return std::make_unique<BearerGuard>(
        options(capacity),
        [this] { return h.as().verification_keys(); },
        h.as().scopes(),
        [this] { return h.now(); });
  }

  // A real access token through /authorize and /token.
  std::string real_token(const std::string& scope = "calendar:read") {
    auto a = authorize_code(h, b, "public-app", kAppRedirect, scope);
    EXPECT_FALSE(a.code.empty());
    auto ex = h.call(code_exchange(a, "public-app"));
    EXPECT_EQ(ex->status(), 200u) << ex->body();
    return ex->json()["access_token"].get<std::string>();
  }

  // The AS's active signing key (tests sign their own tokens with it).
  crypto::SigningKey active_key() {
    auto keys = h.store().list_signing_keys();
    EXPECT_TRUE(keys.ok());
    for (const auto& k : *keys) {
      if (k.state == store::KeyState::kActive) {
        auto loaded = crypto::SigningKey::from_pem(k.private_pem, crypto::JwsAlgorithm::kES256);
        EXPECT_TRUE(loaded.ok());
        return *loaded;
      }
    }
    ADD_FAILURE() << "no active key";
    return *crypto::SigningKey::generate();
  }

  Json claims() {
    return Json{{"iss", kTestIssuer},
                {"sub", "user-1"},
                {"aud", kTestResource},
                {"client_id", "public-app"},
                {"scope", "calendar:read mail:write"},
                {"iat", h.now()},
                {"nbf", h.now()},
                {"exp", h.now() + 600},
                {"jti", "jti-" + std::to_string(++counter)},
                {"org_id", "default"}};
  }

  std::string mint(const Json& c, std::string_view typ = "at+jwt") {
    auto t = crypto::sign_jwt(key, c, typ);
    EXPECT_TRUE(t.ok());
    return *t;
  }

  std::string mint() { return mint(claims()); }

  std::variant<mcp::Caller, http::Response> auth(const std::string& token,
                                                 const BearerGuard* g = nullptr) {
    return (g != nullptr ? *g : *guard).authenticate(mcp_request({"Bearer " + token}));
  }

  bool accepted(const std::string& token, const BearerGuard* g = nullptr) {
    return std::holds_alternative<mcp::Caller>(auth(token, g));
  }

  // The refusal; fails the test when it was accepted.
  http::Response refusal(const std::string& token) {
    auto r = auth(token);
    if (auto* res = std::get_if<http::Response>(&r)) {
      return *res;
    }
    ADD_FAILURE() << "token accepted";
    return http::Response{};
  }

  void expect_invalid_token(const std::string& token, const std::string& what) {
    auto res = refusal(token);
    EXPECT_EQ(res.result_int(), 401u) << what;
    EXPECT_NE(challenge(res).find("error=\"invalid_token\""), std::string::npos) << what;
    EXPECT_NE(challenge(res).find(std::string("resource_metadata=\"") + kPrmUrl + "\""),
              std::string::npos)
        << what;
  }

  Harness h;
  Browser b{h};
  std::unique_ptr<BearerGuard> guard;
  crypto::SigningKey key = active_key();
  int counter = 0;
};

TEST_F(BearerGuardTest, RealTokenGivesTheCaller) {
  const std::string token = real_token("calendar:write mail:read");
  const Json p = jwt_payload(token);
  auto r = auth(token);
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(r)) << std::get<http::Response>(r).body();
  const auto& caller = std::get<mcp::Caller>(r);
  EXPECT_EQ(caller.subject, p["sub"].get<std::string>());
  EXPECT_FALSE(caller.subject.empty());
  EXPECT_EQ(caller.client_id, "public-app");
  EXPECT_EQ(caller.scopes, (std::vector<std::string>{"calendar:write", "mail:read"}));
  EXPECT_EQ(p["org_id"], "default");
  EXPECT_EQ(caller.org_id, "default");
}

// The guard's organization check (confirm()): the token's org_id must be the organization of
// the user it names, in the store, now.
TEST_F(BearerGuardTest, ConfirmRefusesATokenWhoseOrganizationIsNotTheUsers) {
  guard->check_organizations(h.store(), h.executor());
  ASSERT_TRUE(h.store().upsert_organization(store::Organization{"acme", "Acme", {}, 1}).ok());
  const std::string token = real_token();
  const std::string alice = jwt_payload(token)["sub"].get<std::string>();
  auto r = auth(token);
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(r));
  EXPECT_FALSE(h.run(guard->confirm(std::get<mcp::Caller>(r))).has_value());

  // A validly signed token for alice that claims another organization.
  Json c = claims();
  c["sub"] = alice;
  c["org_id"] = "acme";
  auto forged = auth(mint(c));
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(forged));  // signature and claims are fine
  auto refused = h.run(guard->confirm(std::get<mcp::Caller>(forged)));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result_int(), 401u);
  EXPECT_NE(std::string(refused->at(http::Field::www_authenticate)).find("invalid_token"),
            std::string::npos);

  // A user that no longer exists (or never did): refused, and not from a cached answer.
  c["sub"] = "no-such-user";
  c["org_id"] = "default";
  auto ghost = auth(mint(c));
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(ghost));
  auto gone = h.run(guard->confirm(std::get<mcp::Caller>(ghost)));
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->result_int(), 401u);

  // A user of acme: an acme token passes, the same user with org_id default does not (cached
  // or read again after the entry's second).
  store::User bob;
  bob.id = "bob-acme";
  bob.username = "bob";
  bob.org_id = "acme";
  ASSERT_TRUE(h.store().create_user(bob).ok());
  c["sub"] = "bob-acme";
  c["org_id"] = "acme";
  auto bobs = auth(mint(c));
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(bobs));
  EXPECT_FALSE(h.run(guard->confirm(std::get<mcp::Caller>(bobs))).has_value());
  c["org_id"] = "default";
  auto bob_default = auth(mint(c));
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(bob_default));
  EXPECT_TRUE(h.run(guard->confirm(std::get<mcp::Caller>(bob_default))).has_value());
  h.advance(BearerGuard::kUserOrgTtlS);
  EXPECT_TRUE(h.run(guard->confirm(std::get<mcp::Caller>(bob_default))).has_value());
}

// confirm_cached(): the answer without a store read, only while the user's cached entry is
// fresh, and always the one confirm() gives; otherwise "ask the store" (nullopt).
TEST_F(BearerGuardTest, ConfirmCachedAnswersOnlyFromAFreshEntry) {
  const std::string token = real_token();
  auto r = auth(token);
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(r));
  const auto& alice = std::get<mcp::Caller>(r);
  // No organization check configured: nothing to refuse, no store to ask.
  auto unchecked = guard->confirm_cached(alice);
  ASSERT_TRUE(unchecked.has_value());
  EXPECT_FALSE(unchecked->has_value());

  guard->check_organizations(h.store(), h.executor());
  EXPECT_FALSE(guard->confirm_cached(alice).has_value());  // nothing cached: ask the store
  EXPECT_FALSE(h.run(guard->confirm(alice)).has_value());
  auto cached = guard->confirm_cached(alice);
  ASSERT_TRUE(cached.has_value());
  EXPECT_FALSE(cached->has_value());  // confirmed

  // The same user claiming another organization: refused from the cache, as confirm() does.
  mcp::Caller other_org = alice;
  other_org.org_id = "acme";
  auto refused = guard->confirm_cached(other_org);
  ASSERT_TRUE(refused.has_value());
  ASSERT_TRUE(refused->has_value());
  EXPECT_EQ((*refused)->result_int(), 401u);

  // After the entry's second the store is asked again; the expired answer is handed out for a
  // store outage.
  h.advance(BearerGuard::kUserOrgTtlS);
  std::optional<std::string> stale;
  EXPECT_FALSE(guard->confirm_cached(alice, &stale).has_value());
  EXPECT_EQ(stale, std::optional<std::string>("default"));
}

TEST_F(BearerGuardTest, WithoutTheStoreConfirmChecksNothing) {
  const std::string token = real_token();
  auto r = auth(token);
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(r));
  EXPECT_FALSE(h.run(guard->confirm(std::get<mcp::Caller>(r))).has_value());
}

TEST_F(BearerGuardTest, Attacks101MissingTokenIs401WithChallengeAndNoError) {
  auto r = guard->authenticate(mcp_request({}));
  ASSERT_TRUE(std::holds_alternative<http::Response>(r));
  const auto& res = std::get<http::Response>(r);
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(
      challenge(res),
      std::string("Bearer resource_metadata=\"") + kPrmUrl + "\", scope=\"" + kAllScopes + "\"");
  EXPECT_EQ(challenge(res).find("error="), std::string::npos);
  EXPECT_EQ(header_of(res, http::Field::cache_control), "no-store");
  EXPECT_TRUE(Json::parse(res.body()).contains("error"));
}

TEST_F(BearerGuardTest, Attacks108OtherSchemesAreLikeNoToken) {
  const std::string token = mint();
  for (const std::string& value : {std::string("Basic YWxpY2U6eA=="),
                                   "DPoP " + token,
                                   "Token " + token,
                                   token,
                                   std::string("Bearertoken")}) {
    auto r = guard->authenticate(mcp_request({value}));
    ASSERT_TRUE(std::holds_alternative<http::Response>(r)) << value;
    const auto& res = std::get<http::Response>(r);
    EXPECT_EQ(res.result_int(), 401u) << value;
    EXPECT_EQ(challenge(res), guard->basic_challenge()) << value;
  }
}

TEST_F(BearerGuardTest, Attacks108SchemeIsCaseInsensitiveAndSpacesAreTolerated) {
  const std::string token = mint();
  for (const std::string& value :
       {"bearer " + token, "BEARER " + token, "BeArEr " + token, "Bearer   " + token}) {
    EXPECT_TRUE(std::holds_alternative<mcp::Caller>(guard->authenticate(mcp_request({value}))))
        << value;
  }
}

TEST_F(BearerGuardTest, Attacks108TwoAuthorizationHeadersAre400) {
  const std::string token = mint();
  for (const auto& values : std::vector<std::vector<std::string>>{
           {"Bearer " + token, "Bearer " + token}, {"Bearer " + token, "Basic eDp5"}}) {
    auto r = guard->authenticate(mcp_request(values));
    ASSERT_TRUE(std::holds_alternative<http::Response>(r));
    const auto& res = std::get<http::Response>(r);
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_EQ(Json::parse(res.body())["error"], "invalid_request");
    EXPECT_NE(challenge(res).find("error=\"invalid_request\""), std::string::npos);
  }
}

TEST_F(BearerGuardTest, Attacks106TokenInTheQueryIsRefusedEvenWithAValidHeader) {
  const std::string token = mint();
  for (const std::string& target : {"/mcp?access_token=" + token,
                                    "/mcp?x=1&access_token=" + token,
                                    "/mcp?access%5Ftoken=" + token,
                                    std::string("/mcp?access_token")}) {
    for (const auto& headers : std::vector<std::vector<std::string>>{{}, {"Bearer " + token}}) {
      auto r = guard->authenticate(mcp_request(headers, target));
      ASSERT_TRUE(std::holds_alternative<http::Response>(r)) << target;
      const auto& res = std::get<http::Response>(r);
      EXPECT_EQ(res.result_int(), 400u) << target;
      EXPECT_EQ(Json::parse(res.body())["error"], "invalid_request");
      EXPECT_EQ(res.body().find(token), std::string::npos);
    }
  }
  // Other query parameters are fine.
  EXPECT_TRUE(std::holds_alternative<mcp::Caller>(
      guard->authenticate(mcp_request({"Bearer " + token}, "/mcp?token_hint=1&x=access_token"))));
}

TEST_F(BearerGuardTest, MalformedCredentialsAreInvalidToken) {
  for (const char* value : {"Bearer",
                            "Bearer abc def",
                            "Bearer abc.def",
                            "Bearer a,b",
                            "Bearer ====",
                            "Bearer abc=def",
                            "Bearer %41%42"}) {
    auto r = guard->authenticate(mcp_request({value}));
    ASSERT_TRUE(std::holds_alternative<http::Response>(r)) << value;
    const auto& res = std::get<http::Response>(r);
    EXPECT_EQ(res.result_int(), 401u) << value;
    EXPECT_NE(challenge(res).find("error=\"invalid_token\""), std::string::npos) << value;
    EXPECT_NE(challenge(res).find("resource_metadata="), std::string::npos) << value;
  }
}

TEST_F(BearerGuardTest, Attacks102ForgedTokensGetOneAndTheSameAnswer) {
  const std::string good = mint();
  const auto dot1 = good.find('.');
  const auto dot2 = good.find('.', dot1 + 1);
  const std::string h64 = good.substr(0, dot1);
  const std::string p64 = good.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string s64 = good.substr(dot2 + 1);
  auto flip = [](std::string s, std::size_t i) {
    s[i] = s[i] == 'A' ? 'B' : 'A';
    return s;
  };
  auto b64 = [](const Json& j) {
    return crypto::base64url_encode(j.dump());
  };
  auto foreign = crypto::SigningKey::generate();
  ASSERT_TRUE(foreign.ok());
  auto rsa = crypto::SigningKey::generate(crypto::JwsAlgorithm::kRS256);
  ASSERT_TRUE(rsa.ok());
  const Json c = claims();
  auto hs256 = [&](const std::string& secret) {
    const std::string input =
        b64({{"alg", "HS256"}, {"typ", "at+jwt"}, {"kid", key.kid()}}) + "." + b64(c);
    return input + "." + crypto::base64url_encode(crypto::hmac_sha256(secret, input));
  };
  const std::string pem = *key.public_key().to_pem();
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"bit-flipped signature", h64 + "." + p64 + "." + flip(s64, 10)},
      {"bit-flipped payload", h64 + "." + flip(p64, 20) + "." + s64},
      {"truncated", good.substr(0, good.size() - 6)},
      {"signature stripped", h64 + "." + p64 + "."},
      {"another key, same kid",
       sign_raw({{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", key.kid()}}, c, *foreign)},
      {"another key, unknown kid",
       sign_raw({{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", "x"}}, c, *foreign)},
      {"another key, its own kid", *crypto::sign_jwt(*foreign, c, "at+jwt")},
      {"embedded jwk",
       sign_raw(
           {{"alg", "ES256"}, {"typ", "at+jwt"}, {"jwk", foreign->public_jwk()}}, c, *foreign)},
      {"alg none",
       b64({{"alg", "none"}, {"typ", "at+jwt"}, {"kid", key.kid()}}) + "." + b64(c) + "."},
      {"HS256 keyed with the public PEM", hs256(pem)},
      {"HS256 keyed with the public JWK", hs256(key.public_jwk().dump())},
      {"RS256 header on our kid",
       sign_raw({{"alg", "RS256"}, {"typ", "at+jwt"}, {"kid", key.kid()}}, c, *rsa)},
      {"RS256 with its own kid", *crypto::sign_jwt(*rsa, c, "at+jwt")},
      {"typ JWT", mint(c, "JWT")},
      {"no typ", mint(c, "")},
      {"not a JWT", "abc.def"},
  };
  std::set<std::string> challenges;
  for (const auto& [name, token] : forged) {
    auto res = refusal(token);
    EXPECT_EQ(res.result_int(), 401u) << name;
    EXPECT_NE(challenge(res).find("error=\"invalid_token\""), std::string::npos) << name;
    EXPECT_EQ(res.body().find(token), std::string::npos) << name;
    challenges.insert(challenge(res) + "|" + res.body());
  }
  EXPECT_EQ(challenges.size(), 1u);
  EXPECT_TRUE(accepted(good));         // control
  EXPECT_EQ(guard->cache_size(), 1u);  // refused tokens are not cached
}

TEST_F(BearerGuardTest, Attacks035TypIsAtJwtCaseInsensitiveWithOptionalApplicationPrefix) {
  EXPECT_TRUE(accepted(mint(claims(), "application/at+jwt")));
  EXPECT_TRUE(accepted(mint(claims(), "AT+JWT")));
  expect_invalid_token(mint(claims(), "JWT"), "typ JWT");
  expect_invalid_token(mint(claims(), "application/jwt"), "typ application/jwt");
}

TEST_F(BearerGuardTest, WrongIssuerIsRefused) {
  Json c = claims();
  c["iss"] = "http://127.0.0.1:9999";
  expect_invalid_token(mint(c), "other issuer");
  c["iss"] = std::string(kTestIssuer) + "/";
  expect_invalid_token(mint(c), "issuer with a trailing slash");
  c.erase("iss");
  expect_invalid_token(mint(c), "no issuer");
}

TEST_F(BearerGuardTest, Attacks103TokenSubstitutionAnotherResourceIsRefused) {
  Json c = claims();
  c["aud"] = "http://127.0.0.1:8080/other";
  expect_invalid_token(mint(c), "aud of another resource");
  c["aud"] = std::string(kTestResource) + "/";
  expect_invalid_token(mint(c), "aud not exact");
  c["aud"] = Json::array({"http://127.0.0.1:8080/other"});
  expect_invalid_token(mint(c), "aud array without us");
  c.erase("aud");
  expect_invalid_token(mint(c), "no aud");
  c["aud"] = Json::array({"http://127.0.0.1:8080/other", kTestResource});
  EXPECT_TRUE(accepted(mint(c)));
}

TEST_F(BearerGuardTest, Attacks104ExpiryAndNotBeforeHonourTheLeeway) {
  Json c = claims();
  c["exp"] = h.now() - 31;
  expect_invalid_token(mint(c), "expired beyond the leeway");
  c["exp"] = h.now() - 10;
  c["jti"] = "within-leeway";
  EXPECT_TRUE(accepted(mint(c)));
  c = claims();
  c["nbf"] = h.now() + 60;
  expect_invalid_token(mint(c), "nbf in the future");
  c["nbf"] = h.now() + 20;
  EXPECT_TRUE(accepted(mint(c)));
  c = claims();
  c["iat"] = h.now() + 60;
  expect_invalid_token(mint(c), "iat in the future");
  c = claims();
  c["exp"] = "2100-01-01";
  expect_invalid_token(mint(c), "exp not a number");
  c["exp"] = 1e300;  // absurd but signed: accepted, without overflow
  EXPECT_TRUE(accepted(mint(c)));
}

TEST_F(BearerGuardTest, Attacks036RequiredClaims) {
  for (const char* name : {"exp", "iat", "sub", "client_id", "jti", "org_id"}) {
    Json c = claims();
    c.erase(name);
    expect_invalid_token(mint(c), std::string("missing ") + name);
  }
  for (const char* bad : {"Acme", "-acme", "acme.test", "a b", "acme\n"}) {
    Json c = claims();
    c["org_id"] = bad;
    expect_invalid_token(mint(c), std::string("malformed org_id ") + bad);
  }
  for (const char* name : {"sub", "client_id", "jti", "org_id"}) {
    Json c = claims();
    c[name] = "";
    expect_invalid_token(mint(c), std::string("empty ") + name);
    c[name] = 42;
    expect_invalid_token(mint(c), std::string("non-string ") + name);
  }
  Json c = claims();
  c["scope"] = Json::array({"calendar:read"});
  expect_invalid_token(mint(c), "scope not a string");
  c.erase("scope");
  auto r = auth(mint(c));
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(r));
  EXPECT_TRUE(std::get<mcp::Caller>(r).scopes.empty());
}

TEST_F(BearerGuardTest, Attacks104RevokedJtiBeforeFirstUseAndAfterCaching) {
  Json c1 = claims();
  Json c2 = claims();
  const std::string t1 = mint(c1);
  const std::string t2 = mint(c2);
  guard->revoke({{1, c1["jti"].get<std::string>(), h.now() + 600}});
  expect_invalid_token(t1, "revoked before first use");
  EXPECT_TRUE(accepted(t2));
  EXPECT_EQ(guard->cache_size(), 1u);
  guard->revoke({{2, c2["jti"].get<std::string>(), h.now() + 600}});
  expect_invalid_token(t2, "revoked after caching");
  EXPECT_EQ(guard->revoked_count(), 2u);
  // Entries are dropped once their token could no longer pass the exp check.
  guard->revoke({{3, "old", h.now() - 100}});
  EXPECT_EQ(guard->revoked_count(), 2u);
  h.advance(600 + 31 + 60);
  guard->revoke({});
  EXPECT_EQ(guard->revoked_count(), 0u);
}

TEST_F(BearerGuardTest, Attacks104RevocationByThisAuthorizationServerIsImmediate) {
  h.as().set_revocation_listener(guard->revocation_listener());
  const std::string token = real_token();
  EXPECT_TRUE(accepted(token));
  auto rv = h.call(form_post("/revoke", {{"token", token}, {"client_id", "public-app"}}));
  ASSERT_EQ(rv->status(), 200u);
  expect_invalid_token(token, "revoked through /revoke");
  // The listener outlives the guard safely.
  guard.reset();
  const std::string other = real_token();
  EXPECT_EQ(h.call(form_post("/revoke", {{"token", other}, {"client_id", "public-app"}}))->status(),
            200u);
}

TEST_F(BearerGuardTest, Attacks104RevocationByAnotherProcessArrivesByPolling) {
  const std::string token = real_token();
  EXPECT_TRUE(accepted(token));
  const std::string user_id = jwt_payload(token)["sub"];
  // Another process revokes the grant in the shared store: this guard hears nothing directly.
  auto revoked = h.store().revoke_user_grants(user_id, h.now());
  ASSERT_TRUE(revoked.ok());
  ASSERT_FALSE(revoked->empty());
  EXPECT_TRUE(accepted(token));
  ASSERT_TRUE(guard->poll_revocations_once(h.store()).ok());
  expect_invalid_token(token, "revoked in the store");
  EXPECT_GT(guard->last_revocation_seq(), 0);
  // A new guard loads what is already revoked at start.
  auto fresh = make_guard();
  ASSERT_TRUE(fresh->load_revocations(h.store()).ok());
  EXPECT_FALSE(accepted(token, fresh.get()));
  EXPECT_EQ(fresh->last_revocation_seq(), guard->last_revocation_seq());
}

TEST_F(BearerGuardTest, Attacks104RevocationPollLoopRunsThroughTheExecutor) {
  const std::string token = real_token();
  EXPECT_TRUE(accepted(token));
  asio::io_context ioc;
  std::atomic<bool> done{false};
  asio::co_spawn(ioc,
                 guard->run_revocation_poll(h.store(), h.executor(), std::chrono::milliseconds(5)),
                 [&](const std::exception_ptr& e) {
                   EXPECT_FALSE(e);
                   done = true;
                 });
  std::thread runner([&] { ioc.run(); });
  auto revoked =
      h.store().revoke_user_grants(jwt_payload(token)["sub"].get<std::string>(), h.now());
  ASSERT_TRUE(revoked.ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (accepted(token) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_FALSE(accepted(token));
  guard->stop();
  runner.join();
  EXPECT_TRUE(done);
}

TEST_F(BearerGuardTest, CacheHitReturnsTheSameCallerAndStillChecksExpiry) {
  Json c = claims();
  c["exp"] = h.now() + 60;
  const std::string token = mint(c);
  auto first = auth(token);
  auto second = auth(token);
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(first));
  ASSERT_TRUE(std::holds_alternative<mcp::Caller>(second));
  const auto& a = std::get<mcp::Caller>(first);
  const auto& b2 = std::get<mcp::Caller>(second);
  EXPECT_EQ(a.subject, b2.subject);
  EXPECT_EQ(a.client_id, b2.client_id);
  EXPECT_EQ(a.scopes, b2.scopes);
  EXPECT_EQ(guard->cache_size(), 1u);
  h.advance(60 + 29);
  EXPECT_TRUE(accepted(token));
  h.advance(1);
  expect_invalid_token(token, "expired while cached");
  EXPECT_EQ(guard->cache_size(), 0u);
}

TEST_F(BearerGuardTest, CacheIsBoundedAndCanBeDisabled) {
  auto small = make_guard(4);
  auto none = make_guard(0);
  for (int i = 0; i < 40; ++i) {
    const std::string token = mint();
    EXPECT_TRUE(accepted(token, small.get()));
    EXPECT_TRUE(accepted(token, small.get()));
    EXPECT_TRUE(accepted(token, none.get()));
    EXPECT_LE(small->cache_size(), 4u);
  }
  EXPECT_EQ(none->cache_size(), 0u);
}

TEST_F(BearerGuardTest, Attacks038UnknownKidRefetchesTheKeysOnce) {
  std::atomic<int> calls{0};
  auto empty = std::make_shared<const crypto::JwkSet>();
  BearerGuard g(
      options(),
      [&]() -> std::shared_ptr<const crypto::JwkSet> {
        return ++calls == 1 ? empty : h.as().verification_keys();
      },
      h.as().scopes(),
      [this] { return h.now(); });
  EXPECT_TRUE(accepted(mint(), &g));  // the first snapshot lacked the kid; the second had it
  EXPECT_EQ(calls.load(), 2);
  // A kid nobody has costs at most one extra look per attempt.
  auto foreign = crypto::SigningKey::generate();
  ASSERT_TRUE(foreign.ok());
  calls = 10;
  EXPECT_FALSE(accepted(*crypto::sign_jwt(*foreign, claims(), "at+jwt"), &g));
  EXPECT_LE(calls.load(), 12);
}

TEST_F(BearerGuardTest, MayCallFollowsTheScopeHierarchy) {
  const mcp::Caller write{"u", "c", {"calendar:write"}, ""};
  EXPECT_TRUE(guard->may_call(write, "create_event"));
  EXPECT_TRUE(guard->may_call(write, "list_events"));  // calendar:write implies calendar:read
  EXPECT_TRUE(guard->may_call(write, "get_availability"));
  EXPECT_FALSE(guard->may_call(write, "search_messages"));
  EXPECT_FALSE(guard->may_call(write, "send_message"));
  const mcp::Caller read{"u", "c", {"calendar:read", "unknown:scope"}, ""};
  EXPECT_TRUE(guard->may_call(read, "list_events"));
  EXPECT_FALSE(guard->may_call(read, "create_event"));
  const mcp::Caller nothing{"u", "c", {}, ""};
  EXPECT_FALSE(guard->may_call(nothing, "list_events"));
  // Tools no scope mentions need only a valid token.
  EXPECT_TRUE(guard->may_call(nothing, "echo"));
  EXPECT_TRUE(guard->may_call(read, "test_simple_text"));
  const mcp::Caller all{"u", "c", {"mail:write", "calendar:write"}, ""};
  for (const char* tool : {"list_events",
                           "get_availability",
                           "create_event",
                           "delete_event",
                           "search_messages",
                           "read_message",
                           "send_message",
                           "delete_message"}) {
    EXPECT_TRUE(guard->may_call(all, tool)) << tool;
  }
}

TEST_F(BearerGuardTest, Attacks105ForbidToolAsksForTheCurrentScopesPlusTheNeededOne) {
  const mcp::Caller read{"u", "c", {"calendar:read"}, ""};
  const auto res = guard->forbid_tool(read, "create_event");
  EXPECT_EQ(res.result_int(), 403u);
  const std::string ch = challenge(res);
  EXPECT_EQ(
      ch.rfind("Bearer error=\"insufficient_scope\", scope=\"calendar:read calendar:write\"", 0),
      0u)
      << ch;
  EXPECT_NE(ch.find(std::string("resource_metadata=\"") + kPrmUrl + "\""), std::string::npos) << ch;
  EXPECT_EQ(Json::parse(res.body())["error"], "insufficient_scope");
  EXPECT_EQ(header_of(res, http::Field::cache_control), "no-store");
  // The minimal scope that permits the tool directly, once.
  const auto mail = challenge(guard->forbid_tool(read, "read_message"));
  EXPECT_NE(mail.find("scope=\"calendar:read mail:read\""), std::string::npos) << mail;
  const auto none = challenge(guard->forbid_tool(mcp::Caller{"u", "c", {}, ""}, "send_message"));
  EXPECT_NE(none.find("scope=\"mail:write\""), std::string::npos) << none;
}

TEST_F(BearerGuardTest, ConcurrentVerificationAndRevocation) {
  std::vector<std::string> tokens;
  std::vector<std::string> jtis;
  for (int i = 0; i < 32; ++i) {
    Json c = claims();
    jtis.push_back(c["jti"].get<std::string>());
    tokens.push_back(mint(c));
  }
  auto small = make_guard(8);  // constant eviction as well
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const std::size_t k = static_cast<std::size_t>((i * 7 + t) % 32);
        if (t < 2 && i % 10 == 0) {
          // Revokes only the second half.
          const std::size_t r = 16 + static_cast<std::size_t>((i / 10 + t) % 16);
          guard->revoke({{i, jtis[r], h.now() + 600}});
          small->revoke({{i, jtis[r], h.now() + 600}});
          continue;
        }
        const bool a = accepted(tokens[k]);
        const bool s = accepted(tokens[k], small.get());
        if (k < 16 && (!a || !s)) {
          ++failures;
        }
        (void)guard->may_call(mcp::Caller{"u", "c", {"calendar:write"}, ""}, "list_events");
        (void)guard->cache_size();
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  for (std::size_t k = 16; k < 32; ++k) {
    if (guard->is_revoked(jtis[k])) {
      EXPECT_FALSE(accepted(tokens[k])) << k;
      EXPECT_FALSE(accepted(tokens[k], small.get())) << k;
    }
  }
  EXPECT_LE(small->cache_size(), 8u);
}

}  // namespace
}  // namespace mcpgate::oauth
