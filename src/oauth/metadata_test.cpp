// Discovery documents and JWKS (ATTACKS rows 59-61).

#include <gtest/gtest.h>

#include <set>

#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::Call;
using testing::FakeExchange;
using testing::Harness;
using testing::Json;
using testing::kTestIssuer;
using testing::kTestResource;

std::unique_ptr<FakeExchange> get(Harness& h, const std::string& path,
                                  http::bhttp::verb method = http::bhttp::verb::get) {
  Call c;
  c.method = method;
  c.target = path;
  c.headers = {{"Origin", "https://browser-client.example.com"}};
  return h.call(c);
}

TEST(MetadataTest, Attacks060AuthorizationServerMetadataFields) {
  Harness h;
  auto ex = get(h, "/.well-known/oauth-authorization-server");
  ASSERT_EQ(ex->status(), 200u);
  EXPECT_EQ(ex->header("Content-Type"), "application/json");
  auto m = ex->json();
  const std::string iss = kTestIssuer;
  EXPECT_EQ(m["issuer"], iss);
  EXPECT_EQ(m["authorization_endpoint"], iss + "/authorize");
  EXPECT_EQ(m["token_endpoint"], iss + "/token");
  EXPECT_EQ(m["registration_endpoint"], iss + "/register");
  EXPECT_EQ(m["jwks_uri"], iss + "/jwks.json");
  EXPECT_EQ(m["introspection_endpoint"], iss + "/introspect");
  EXPECT_EQ(m["revocation_endpoint"], iss + "/revoke");
  EXPECT_EQ(m["response_types_supported"], Json::array({"code"}));
  EXPECT_EQ(m["response_modes_supported"], Json::array({"query"}));
  EXPECT_EQ(m["grant_types_supported"], Json::array({"authorization_code", "refresh_token"}));
  EXPECT_EQ(m["code_challenge_methods_supported"], Json::array({"S256"}));
  EXPECT_EQ(m["token_endpoint_auth_methods_supported"],
            Json::array({"none", "client_secret_basic", "client_secret_post", "private_key_jwt"}));
  EXPECT_TRUE(m["token_endpoint_auth_signing_alg_values_supported"].is_array());
  EXPECT_EQ(m["scopes_supported"],
            Json::array({"calendar:read", "calendar:write", "mail:read", "mail:write"}));
  EXPECT_EQ(m["authorization_response_iss_parameter_supported"], true);
  EXPECT_TRUE(m.contains("client_id_metadata_document_supported"));
  EXPECT_TRUE(m["introspection_endpoint_auth_methods_supported"].is_array());
  EXPECT_TRUE(m["revocation_endpoint_auth_methods_supported"].is_array());
  EXPECT_FALSE(m.contains("subject_types_supported"));

  auto oidc = get(h, "/.well-known/openid-configuration")->json();
  EXPECT_EQ(oidc["issuer"], iss);
  EXPECT_EQ(oidc["jwks_uri"], iss + "/jwks.json");
  EXPECT_EQ(oidc["subject_types_supported"], Json::array({"public"}));
  EXPECT_EQ(oidc["id_token_signing_alg_values_supported"], Json::array({"ES256"}));
  EXPECT_EQ(oidc["code_challenge_methods_supported"], Json::array({"S256"}));
}

TEST(MetadataTest, Attacks059IssuerWithPathUsesPathInsertion) {
  Harness::Setup setup;
  setup.options.issuer = std::string(kTestIssuer) + "/tenant1";
  Harness h(setup);
  auto ex = get(h, "/.well-known/oauth-authorization-server/tenant1");
  ASSERT_EQ(ex->status(), 200u);
  EXPECT_EQ(ex->json()["issuer"], std::string(kTestIssuer) + "/tenant1");
  EXPECT_EQ(ex->json()["authorization_endpoint"], std::string(kTestIssuer) + "/tenant1/authorize");
  EXPECT_EQ(get(h, "/.well-known/oauth-authorization-server")->status(), 404u)
      << "no root document for an issuer with a path";
  EXPECT_EQ(get(h, "/.well-known/openid-configuration/tenant1")->status(), 200u);
  EXPECT_EQ(get(h, "/tenant1/.well-known/openid-configuration")->status(), 200u);
  // The endpoints live under the path.
  EXPECT_EQ(get(h, "/tenant1/jwks.json")->status(), 200u);
  Call token = testing::form_post("/tenant1/token", {{"grant_type", "password"}});
  EXPECT_EQ(h.call(token)->json()["error"], "unsupported_grant_type");
}

TEST(MetadataTest, ProtectedResourceMetadata) {
  Harness h;
  for (const char* path : {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
    auto ex = get(h, path);
    ASSERT_EQ(ex->status(), 200u) << path;
    auto m = ex->json();
    EXPECT_EQ(m["resource"], kTestResource);
    EXPECT_EQ(m["authorization_servers"], Json::array({kTestIssuer}));
    EXPECT_EQ(m["bearer_methods_supported"], Json::array({"header"}));
    EXPECT_EQ(m["scopes_supported"].size(), 4u);
    EXPECT_EQ(m["mcpgate_tool_scopes"]["list_events"], Json::array({"calendar:read"}));
    EXPECT_EQ(m["mcpgate_tool_scopes"]["send_message"], Json::array({"mail:write"}));
  }
}

TEST(MetadataTest, Attacks061CorsOnMetadataTokenJwksRegistrationOnly) {
  Harness h;
  for (const char* path : {"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
                           "/.well-known/oauth-protected-resource/mcp", "/jwks.json"}) {
    auto ex = get(h, path);
    EXPECT_EQ(ex->header("Access-Control-Allow-Origin"), "*") << path;
    auto pre = get(h, path, http::bhttp::verb::options);
    EXPECT_EQ(pre->status(), 204u) << path;
    EXPECT_EQ(pre->header("Access-Control-Allow-Origin"), "*") << path;
  }
  auto token_pre = get(h, "/token", http::bhttp::verb::options);
  EXPECT_EQ(token_pre->status(), 204u);
  EXPECT_EQ(token_pre->header("Access-Control-Allow-Origin"), "*");
  auto token = h.call(testing::form_post("/token", {{"grant_type", "password"}}));
  EXPECT_EQ(token->header("Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(get(h, "/authorize")->has_header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(get(h, "/authorize", http::bhttp::verb::options)->has_header("Access-Control-Allow-Origin"));
  EXPECT_FALSE(get(h, "/login?flow=x")->has_header("Access-Control-Allow-Origin"));
}

TEST(MetadataTest, JwksPublishesActiveAndNextPublicKeysOnly) {
  Harness h;
  auto jwks = get(h, "/jwks.json")->json();
  ASSERT_EQ(jwks["keys"].size(), 2u);
  for (const auto& k : jwks["keys"]) {
    EXPECT_EQ(k["kty"], "EC");
    EXPECT_EQ(k["crv"], "P-256");
    EXPECT_TRUE(k["kid"].is_string());
    EXPECT_FALSE(k.contains("d")) << "no private key material";
  }
  EXPECT_EQ(h.as().verification_keys()->keys().size(), 2u);
}

TEST(MetadataTest, KeysSurviveARestartOnTheSameDatabase) {
  Harness::Setup setup;
  setup.file_db = true;
  Harness h(setup);
  auto before = get(h, "/jwks.json")->json();
  // A second server on the same store (as after a restart) publishes the same keys.
  auto again = AuthorizationServer::create(setup.options, h.store(), h.executor(), nullptr,
                                           [&] { return h.now(); });
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)->verification_keys()->keys().size(), 2u);
  std::set<std::string> kids;
  for (const auto& k : before["keys"]) {
    kids.insert(k["kid"].get<std::string>());
  }
  for (const auto& k : (*again)->verification_keys()->keys()) {
    EXPECT_EQ(kids.count(k.kid()), 1u);
  }
}

}  // namespace
}  // namespace mcpgate::oauth
