// RFC 7591 / 7592 registration (ATTACKS rows 45-50) and private_key_jwt clients (row 21).

#include <gtest/gtest.h>

#include "crypto/jwt.hpp"
#include "http/test_server.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::Browser;
using testing::Call;
using testing::FakeExchange;
using testing::Harness;
using testing::Json;
using testing::authorize_code;
using testing::form_post;
using testing::kTestIssuer;

Call registration(const std::string& body, const std::string& content_type = "application/json",
                  const std::string& ip = "127.0.0.1") {
  Call c;
  c.method = http::bhttp::verb::post;
  c.target = "/register";
  c.headers = {{"Content-Type", content_type}};
  c.body = body;
  c.ip = ip;
  return c;
}

Json native_client() {
  return Json{{"client_name", "Native"},
              {"redirect_uris", {"http://127.0.0.1/callback"}},
              {"grant_types", {"authorization_code", "refresh_token"}},
              {"response_types", {"code"}},
              {"token_endpoint_auth_method", "none"},
              {"application_type", "native"}};
}

class RegistrationTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeExchange> post(const Json& metadata) { return h.call(registration(metadata.dump())); }
  void expect_error(const Json& metadata, const std::string& error) {
    auto ex = post(metadata);
    EXPECT_EQ(ex->status(), 400u) << metadata.dump() << " -> " << ex->body();
    EXPECT_EQ(ex->json()["error"], error) << metadata.dump() << " -> " << ex->body();
  }
  Harness h;
};

TEST_F(RegistrationTest, Attacks050SuccessfulRegistrationEchoesMetadata) {
  auto ex = post(native_client());
  ASSERT_EQ(ex->status(), 201u) << ex->body();
  EXPECT_EQ(ex->header("Cache-Control"), "no-store");
  EXPECT_EQ(ex->header("Access-Control-Allow-Origin"), "*");
  auto j = ex->json();
  const std::string id = j["client_id"];
  EXPECT_EQ(id.rfind("dcr_", 0), 0u);
  EXPECT_EQ(id.find("://"), std::string::npos);
  EXPECT_EQ(j["client_name"], "Native");
  EXPECT_EQ(j["redirect_uris"], Json::array({"http://127.0.0.1/callback"}));
  EXPECT_EQ(j["token_endpoint_auth_method"], "none");
  EXPECT_EQ(j["grant_types"], Json::array({"authorization_code", "refresh_token"}));
  EXPECT_FALSE(j.contains("client_secret"));
  EXPECT_TRUE(j["client_id_issued_at"].is_number());
  EXPECT_EQ(j["registration_client_uri"], std::string(kTestIssuer) + "/register/" + id);
  ASSERT_TRUE(j["registration_access_token"].is_string());

  auto confidential = native_client();
  confidential["token_endpoint_auth_method"] = "client_secret_basic";
  confidential["redirect_uris"] = {"https://web.example.com/cb"};
  confidential["application_type"] = "web";
  auto c = post(confidential)->json();
  EXPECT_TRUE(c["client_secret"].is_string());
  EXPECT_EQ(c["client_secret_expires_at"], 0);
}

TEST_F(RegistrationTest, RegisteredClientCompletesTheFlowAndRfc7592Management) {
  auto reg = post(native_client())->json();
  const std::string id = reg["client_id"];
  Browser b(h);
  auto a = authorize_code(h, b, id, "http://127.0.0.1:43210/callback");
  ASSERT_FALSE(a.code.empty()) << a.final->body();
  auto t = h.call(testing::code_exchange(a, id));
  ASSERT_EQ(t->status(), 200u) << t->body();
  // The consent page said the client registered itself.

  Call get;
  get.target = "/register/" + id;
  get.headers = {{"Authorization", "Bearer " + reg["registration_access_token"].get<std::string>()}};
  auto read = h.call(get);
  ASSERT_EQ(read->status(), 200u) << read->body();
  EXPECT_EQ(read->json()["client_id"], id);
  EXPECT_EQ(read->json()["redirect_uris"], reg["redirect_uris"]);

  Call wrong = get;
  wrong.headers = {{"Authorization", "Bearer nope"}};
  auto denied = h.call(wrong);
  EXPECT_EQ(denied->status(), 401u);
  EXPECT_EQ(denied->json()["error"], "invalid_token");

  Call del = get;
  del.method = http::bhttp::verb::delete_;
  EXPECT_EQ(h.call(del)->status(), 204u);
  EXPECT_EQ(h.call(get)->status(), 401u);
  // The client and its tokens are gone.
  EXPECT_EQ(h.call(testing::refresh_call(t->json()["refresh_token"], id))->status(), 401u);
  auto jti = testing::jwt_payload(t->json()["access_token"])["jti"].get<std::string>();
  EXPECT_TRUE(*h.store().is_access_token_revoked(jti));
}

TEST_F(RegistrationTest, Attacks045BadRedirectUris) {
  for (const Json& uris : {Json::array({"javascript:alert(1)"}), Json::array({"data:text/html,hi"}),
                           Json::array({"http://evil.example.com/cb"}), Json::array({"https://*.example.com/cb"}),
                           Json::array({"https://app.example.com/cb#frag"}), Json::array(),
                           Json::array({42}), Json("https://a.example.com/cb")}) {
    auto m = native_client();
    m["redirect_uris"] = uris;
    expect_error(m, "invalid_redirect_uri");
  }
  auto m = native_client();
  m.erase("redirect_uris");
  expect_error(m, "invalid_redirect_uri");
  auto web = native_client();
  web["application_type"] = "web";
  web["redirect_uris"] = {"com.example.app:/cb"};
  expect_error(web, "invalid_redirect_uri");
}

TEST_F(RegistrationTest, Attacks046InconsistentOrUnsupportedMetadata) {
  auto m = native_client();
  m["token_endpoint_auth_method"] = "client_secret_jwt";
  expect_error(m, "invalid_client_metadata");
  m = native_client();
  m["grant_types"] = {"refresh_token"};
  expect_error(m, "invalid_client_metadata");
  m = native_client();
  m["grant_types"] = {"authorization_code", "password"};
  expect_error(m, "invalid_client_metadata");
  m = native_client();
  m["response_types"] = {"token"};
  expect_error(m, "invalid_client_metadata");
  m = native_client();
  m["jwks_uri"] = "https://keys.example.com/jwks";
  m["jwks"] = {{"keys", Json::array()}};
  expect_error(m, "invalid_client_metadata");
  m = native_client();
  m["token_endpoint_auth_method"] = "private_key_jwt";
  expect_error(m, "invalid_client_metadata");
  m = native_client();
  m["client_name"] = 42;
  expect_error(m, "invalid_client_metadata");
  m = native_client();
  m["logo_uri"] = "javascript:alert(1)";
  expect_error(m, "invalid_client_metadata");
  expect_error(Json::array({1, 2}), "invalid_client_metadata");
  auto not_json = h.call(registration("{not json"));
  EXPECT_EQ(not_json->json()["error"], "invalid_client_metadata");
  auto form = h.call(registration("a=b", "application/x-www-form-urlencoded"));
  EXPECT_EQ(form->status(), 400u);
}

TEST_F(RegistrationTest, Attacks047OversizedBodyAndFloodAreRefused) {
  auto m = native_client();
  m["client_name"] = std::string(20000, 'a');
  auto big = post(m);
  EXPECT_EQ(big->status(), 400u);

  Harness::Setup setup;
  setup.options.dcr.registrations_per_minute = 3;
  Harness limited(setup);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limited.call(registration(native_client().dump(), "application/json", "10.0.0.1"))->status(), 201u);
  }
  auto flood = limited.call(registration(native_client().dump(), "application/json", "10.0.0.1"));
  EXPECT_EQ(flood->status(), 429u);
  EXPECT_FALSE(flood->header("Retry-After").empty());
  EXPECT_EQ(limited.call(registration(native_client().dump(), "application/json", "10.0.0.2"))->status(), 201u)
      << "the limit is per source address";
}

TEST_F(RegistrationTest, Attacks047TotalQuota) {
  Harness::Setup setup;
  setup.options.dcr.max_clients = 2;
  Harness limited(setup);
  EXPECT_EQ(limited.call(registration(native_client().dump()))->status(), 201u);
  EXPECT_EQ(limited.call(registration(native_client().dump()))->status(), 201u);
  EXPECT_EQ(limited.call(registration(native_client().dump()))->status(), 429u);
}

TEST_F(RegistrationTest, Attacks048ClientChosenIdsAndSecretsAreIgnored) {
  auto m = native_client();
  m["client_id"] = "ops-dashboard";
  m["client_secret"] = "chosen";
  m["registration_access_token"] = "chosen";
  m["sub"] = h.store().find_user_by_username(store::kDefaultOrgId, "alice")->id;
  auto j = post(m)->json();
  EXPECT_NE(j["client_id"], "ops-dashboard");
  EXPECT_FALSE(j.contains("client_secret"));
  EXPECT_NE(j["registration_access_token"], "chosen");
  EXPECT_FALSE(j.contains("sub"));
  EXPECT_EQ(h.store().find_client("ops-dashboard")->kind, store::ClientKind::kStatic);
}

TEST_F(RegistrationTest, Attacks049SoftwareStatementsAreRefused) {
  auto m = native_client();
  m["software_statement"] = "eyJhbGciOiJub25lIn0.eyJzb2Z0d2FyZV9pZCI6IngifQ.";
  expect_error(m, "unapproved_software_statement");
}

TEST_F(RegistrationTest, AuthMethodNegotiatedFromSupportedList) {
  auto m = native_client();
  m.erase("token_endpoint_auth_method");
  m["token_endpoint_auth_methods_supported"] = {"none", "client_secret_post"};
  auto j = post(m)->json();
  EXPECT_EQ(j["token_endpoint_auth_method"], "client_secret_post");
  EXPECT_TRUE(j.contains("client_secret"));
  m["token_endpoint_auth_methods_supported"] = {"tls_client_auth"};
  expect_error(m, "invalid_client_metadata");
  m.erase("token_endpoint_auth_methods_supported");
  EXPECT_EQ(post(m)->json()["token_endpoint_auth_method"], "client_secret_basic");  // RFC 7591 default
}

TEST_F(RegistrationTest, CorsPreflight) {
  Call pre;
  pre.method = http::bhttp::verb::options;
  pre.target = "/register";
  auto ex = h.call(pre);
  EXPECT_EQ(ex->status(), 204u);
  EXPECT_EQ(ex->header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(ex->header("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
}

// --- private_key_jwt ---------------------------------------------------------------------------

class PrivateKeyJwtTest : public ::testing::Test {
 protected:
  PrivateKeyJwtTest() : key(crypto::SigningKey::generate().value()) {}

  std::string register_with(const Json& keys_member, const std::string& name) {
    auto m = native_client();
    m["token_endpoint_auth_method"] = "private_key_jwt";
    m["redirect_uris"] = {"https://pk.example.com/cb"};
    m[name] = keys_member;
    auto ex = h.call(registration(m.dump()));
    EXPECT_EQ(ex->status(), 201u) << ex->body();
    return ex->json()["client_id"];
  }
  std::string assertion(const std::string& client_id, Json overrides = Json::object()) {
    Json claims = {{"iss", client_id}, {"sub", client_id}, {"aud", std::string(kTestIssuer) + "/token"},
                   {"iat", h.now()}, {"exp", h.now() + 60}, {"jti", "jti-" + std::to_string(counter++)}};
    for (auto& [k, v] : overrides.items()) {
      if (v.is_null()) {
        claims.erase(k);
      } else {
        claims[k] = v;
      }
    }
    return crypto::sign_jwt(key, claims, "JWT").value();
  }
  std::unique_ptr<FakeExchange> exchange(const std::string& client_id, const std::string& jwt) {
    Browser b(h);
    auto a = authorize_code(h, b, client_id, "https://pk.example.com/cb");
    EXPECT_FALSE(a.code.empty());
    return h.call(form_post("/token", {{"grant_type", "authorization_code"},
                                       {"code", a.code},
                                       {"redirect_uri", a.redirect_uri},
                                       {"code_verifier", a.pkce.verifier},
                                       {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                                       {"client_assertion", jwt}}));
  }

  Harness h;
  crypto::SigningKey key;
  int counter = 0;
};

TEST_F(PrivateKeyJwtTest, Attacks021AssertionWithInlineJwks) {
  const std::string id = register_with(Json{{"keys", {key.public_jwk()}}}, "jwks");
  const std::string jwt = assertion(id);
  auto ok = exchange(id, jwt);
  ASSERT_EQ(ok->status(), 200u) << ok->body();
  // The same assertion again: replay.
  auto replay = exchange(id, jwt);
  EXPECT_EQ(replay->status(), 401u);
  EXPECT_EQ(replay->json()["error"], "invalid_client");
  // Wrong audience, expired, missing jti, iss != sub, too long-lived.
  for (const Json& bad : {Json{{"aud", "https://elsewhere.example.com"}}, Json{{"exp", h.now() - 120}},
                          Json{{"jti", nullptr}}, Json{{"iss", "someone-else"}},
                          Json{{"exp", h.now() + 3600}}}) {
    auto ex = exchange(id, assertion(id, bad));
    EXPECT_EQ(ex->status(), 401u) << bad.dump() << ex->body();
  }
  // Signed by another key.
  auto other = crypto::SigningKey::generate().value();
  Json claims = {{"iss", id}, {"sub", id}, {"aud", kTestIssuer}, {"exp", h.now() + 60}, {"jti", "x"}};
  EXPECT_EQ(exchange(id, crypto::sign_jwt(other, claims, "JWT").value())->status(), 401u);
  // A secret or "none" is not accepted for this client.
  Browser b(h);
  auto a = authorize_code(h, b, id, "https://pk.example.com/cb");
  auto none = h.call(form_post("/token", {{"grant_type", "authorization_code"}, {"code", a.code},
                                          {"redirect_uri", a.redirect_uri},
                                          {"code_verifier", a.pkce.verifier}, {"client_id", id}}));
  EXPECT_EQ(none->status(), 401u);
}

TEST_F(PrivateKeyJwtTest, AssertionWithJwksUriOnLoopback) {
  http::testing::TestServer keys([&](const http::Request&) {
    return http::testing::make_reply(200, Json{{"keys", {key.public_jwk()}}}.dump());
  });
  // jwks_uri must be https unless loopback is allowed for tests; the harness allows it below.
  Harness::Setup setup;
  setup.options.cimd.allow_loopback_for_tests = true;
  Harness loop(setup);
  auto m = native_client();
  m["token_endpoint_auth_method"] = "private_key_jwt";
  m["redirect_uris"] = {"https://pk.example.com/cb"};
  m["jwks_uri"] = keys.url("/jwks");
  auto reg = loop.call(registration(m.dump()));
  ASSERT_EQ(reg->status(), 201u) << reg->body();
  const std::string id = reg->json()["client_id"];
  Browser b(loop);
  auto a = authorize_code(loop, b, id, "https://pk.example.com/cb");
  Json claims = {{"iss", id}, {"sub", id}, {"aud", kTestIssuer}, {"exp", loop.now() + 60}, {"jti", "j1"}};
  auto ex = loop.call(form_post("/token", {{"grant_type", "authorization_code"},
                                           {"code", a.code},
                                           {"redirect_uri", a.redirect_uri},
                                           {"code_verifier", a.pkce.verifier},
                                           {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                                           {"client_assertion", crypto::sign_jwt(key, claims, "JWT").value()}}));
  EXPECT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_GE(keys.requests(), 1u);
}

TEST_F(PrivateKeyJwtTest, JwksUriMustBeHttpsWithoutTheTestFlag) {
  auto m = native_client();
  m["token_endpoint_auth_method"] = "private_key_jwt";
  m["jwks_uri"] = "http://127.0.0.1:1/jwks";
  auto ex = h.call(registration(m.dump()));
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_EQ(ex->json()["error"], "invalid_client_metadata");
}

}  // namespace
}  // namespace mcpgate::oauth
