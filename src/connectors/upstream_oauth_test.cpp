#include "connectors/upstream_oauth.hpp"

#include <gtest/gtest.h>

namespace mcpgate::connectors {
namespace {

constexpr const char* kUpstream = "https://mcp.example/mcp";
constexpr const char* kIssuer = "https://auth.example";

std::string prm_doc(const std::string& resource, const std::string& as = kIssuer) {
  nlohmann::json d = {{"resource", resource},
                      {"authorization_servers", {as}},
                      {"scopes_supported", {"tools:read", "tools:write"}}};
  return d.dump();
}

nlohmann::json as_doc() {
  return {{"issuer", kIssuer},
          {"authorization_endpoint", "https://auth.example/authorize"},
          {"token_endpoint", "https://auth.example/token"},
          {"revocation_endpoint", "https://auth.example/revoke"},
          {"registration_endpoint", "https://auth.example/register"},
          {"response_types_supported", {"code"}},
          {"code_challenge_methods_supported", {"S256"}},
          {"client_id_metadata_document_supported", true},
          {"authorization_response_iss_parameter_supported", true}};
}

UpstreamOAuthSettings upstream_test_settings() {
  UpstreamOAuthSettings s;
  s.id = "crm";
  s.upstream_url = kUpstream;
  s.redirect_uri = "https://gate.example/connect/callback";
  s.client_metadata_url = "https://gate.example/oauth/client-metadata.json";
  return s;
}

TEST(UpstreamOAuthTest, ChallengeNamesTheResourceMetadata) {
  EXPECT_EQ(resource_metadata_from_challenge(
                R"(Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="a b")"),
            "https://mcp.example/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(resource_metadata_from_challenge(
                R"(bearer error="invalid_token", resource_metadata="https://x.example/m")"),
            "https://x.example/m");
  EXPECT_EQ(resource_metadata_from_challenge("Bearer resource_metadata=https://x.example/m, a=b"),
            "https://x.example/m");
  EXPECT_FALSE(resource_metadata_from_challenge("Basic realm=\"x\""));
  EXPECT_FALSE(resource_metadata_from_challenge(R"(Bearer realm="x")"));
  EXPECT_FALSE(resource_metadata_from_challenge(R"(Bearer resource_metadata="unterminated)"));
  EXPECT_FALSE(resource_metadata_from_challenge(""));
}

TEST(UpstreamOAuthTest, WellKnownUrls) {
  EXPECT_EQ(protected_resource_metadata_urls("https://mcp.example/mcp"),
            (std::vector<std::string>{"https://mcp.example/.well-known/oauth-protected-resource/mcp",
                                      "https://mcp.example/.well-known/oauth-protected-resource"}));
  EXPECT_EQ(protected_resource_metadata_urls("https://mcp.example"),
            (std::vector<std::string>{"https://mcp.example/.well-known/oauth-protected-resource"}));
  EXPECT_EQ(authorization_server_metadata_urls("https://auth.example"),
            (std::vector<std::string>{"https://auth.example/.well-known/oauth-authorization-server",
                                      "https://auth.example/.well-known/openid-configuration"}));
  EXPECT_EQ(authorization_server_metadata_urls("https://auth.example/tenant1/"),
            (std::vector<std::string>{
                "https://auth.example/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example/.well-known/openid-configuration/tenant1",
                "https://auth.example/tenant1/.well-known/openid-configuration"}));
}

TEST(UpstreamOAuthTest, ProtectedResourceMetadataAccepted) {
  auto prm = parse_protected_resource_metadata(prm_doc(kUpstream), kUpstream, false);
  ASSERT_TRUE(prm) << prm.error().message;
  EXPECT_EQ(prm->authorization_servers, std::vector<std::string>{kIssuer});
  EXPECT_EQ(prm->scopes_supported.size(), 2u);
}

TEST(UpstreamOAuthTest, ProtectedResourceMetadataRefusesHostileDocuments) {
  // Another resource's metadata: a server must not send the gate to another resource's AS.
  auto wrong = parse_protected_resource_metadata(prm_doc("https://evil.example/mcp"), kUpstream, false);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("is not the upstream's URL"), std::string::npos);
  // A trailing slash is another identifier (no normalisation).
  EXPECT_FALSE(parse_protected_resource_metadata(prm_doc("https://mcp.example/mcp/"), kUpstream, false));
  // Plain-http authorization server.
  auto http_as = parse_protected_resource_metadata(prm_doc(kUpstream, "http://auth.example"), kUpstream, false);
  ASSERT_FALSE(http_as);
  EXPECT_NE(http_as.error().message.find("https"), std::string::npos);
  // ... allowed on loopback with the test flag only.
  EXPECT_TRUE(parse_protected_resource_metadata(prm_doc(kUpstream, "http://127.0.0.1:9/"), kUpstream, true));
  EXPECT_FALSE(parse_protected_resource_metadata(prm_doc(kUpstream, "http://10.0.0.1/"), kUpstream, true));
  // Malformed shapes.
  EXPECT_FALSE(parse_protected_resource_metadata("[]", kUpstream, false));
  EXPECT_FALSE(parse_protected_resource_metadata("{not json", kUpstream, false));
  EXPECT_FALSE(parse_protected_resource_metadata(R"({"resource":"https://mcp.example/mcp"})", kUpstream, false));
  EXPECT_FALSE(parse_protected_resource_metadata(
      R"({"resource":"https://mcp.example/mcp","authorization_servers":"https://auth.example"})", kUpstream, false));
  EXPECT_FALSE(parse_protected_resource_metadata(
      R"({"resource":"https://mcp.example/mcp","authorization_servers":[]})", kUpstream, false));
  EXPECT_FALSE(parse_protected_resource_metadata(
      R"({"resource":42,"authorization_servers":["https://auth.example"]})", kUpstream, false));
  // Oversized.
  std::string big = prm_doc(kUpstream);
  big.insert(1, "\"pad\":\"" + std::string(kMaxUpstreamMetadataBytes, 'x') + "\",");
  auto oversized = parse_protected_resource_metadata(big, kUpstream, false);
  ASSERT_FALSE(oversized);
  EXPECT_NE(oversized.error().message.find("64 KiB"), std::string::npos);
}

TEST(UpstreamOAuthTest, AuthorizationServerMetadataAccepted) {
  auto as = parse_authorization_server_metadata(as_doc().dump(), kIssuer, false);
  ASSERT_TRUE(as) << as.error().message;
  EXPECT_TRUE(as->cimd_supported);
  EXPECT_TRUE(as->iss_parameter_supported);
  EXPECT_EQ(as->registration_endpoint, "https://auth.example/register");
}

TEST(UpstreamOAuthTest, AuthorizationServerMetadataRefusesHostileDocuments) {
  auto refused = [](nlohmann::json doc, const std::string& needle) {
    auto r = parse_authorization_server_metadata(doc.dump(), kIssuer, false);
    ASSERT_FALSE(r) << doc.dump();
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  auto d = as_doc();
  d["issuer"] = "https://evil.example";
  refused(d, "issuer");
  d = as_doc();
  d.erase("code_challenge_methods_supported");
  refused(d, "S256");
  d = as_doc();
  d["code_challenge_methods_supported"] = {"plain"};
  refused(d, "S256");
  d = as_doc();
  d["token_endpoint"] = "http://auth.example/token";
  refused(d, "token_endpoint must use https");
  d = as_doc();
  d["authorization_endpoint"] = "javascript:alert(1)";
  refused(d, "authorization_endpoint");
  d = as_doc();
  d["registration_endpoint"] = "http://auth.example/register";
  refused(d, "registration_endpoint");
  d = as_doc();
  d["response_types_supported"] = {"token"};
  refused(d, "code response type");
  d = as_doc();
  d.erase("token_endpoint");
  refused(d, "token_endpoint is missing");
  d = as_doc();
  d["code_challenge_methods_supported"] = "S256";
  refused(d, "array");
}

TEST(UpstreamOAuthTest, ConnectorFromTheMetadata) {
  auto as = parse_authorization_server_metadata(as_doc().dump(), kIssuer, false);
  ASSERT_TRUE(as);
  const auto settings = upstream_test_settings();
  auto c = upstream_oauth_client(settings, *as, {"tools:read"}, {settings.client_metadata_url, ""}, "cimd");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->def->id, "crm");
  EXPECT_EQ(c->def->oauth.pkce, Pkce::kRequired);
  EXPECT_TRUE(c->def->oauth.resource_indicator);
  EXPECT_EQ(c->def->oauth.issuer, kIssuer);  // the AS sends iss: the callback must carry it
  EXPECT_EQ(c->def->oauth.client_auth, ClientAuth::kNone);
  EXPECT_EQ(c->resource, kUpstream);
  EXPECT_TRUE(c->def->tools.empty());
  // The authorize URL carries PKCE S256, the resource and the client metadata URL as client_id.
  const std::string url = authorize_url(*c->def, c->client,
                                        {settings.redirect_uri, "st", "challenge", c->resource});
  EXPECT_NE(url.find("code_challenge_method=S256"), std::string::npos) << url;
  EXPECT_NE(url.find("resource=https%3A%2F%2Fmcp.example%2Fmcp"), std::string::npos) << url;
  EXPECT_NE(url.find("client_id=https%3A%2F%2Fgate.example%2Foauth%2Fclient-metadata.json"),
            std::string::npos) << url;
  // Without the iss parameter advertised the check is off; a secret picks basic auth.
  as->iss_parameter_supported = false;
  auto confidential = upstream_oauth_client(settings, *as, {}, {"id", "secret"}, "configured");
  ASSERT_TRUE(confidential);
  EXPECT_EQ(confidential->def->oauth.issuer, "");
  EXPECT_EQ(confidential->def->oauth.client_auth, ClientAuth::kClientSecretBasic);
}

TEST(UpstreamOAuthTest, ClientMetadataAndRegistration) {
  const auto settings = upstream_test_settings();
  const auto doc = gate_client_metadata(settings);
  EXPECT_EQ(doc["client_id"], settings.client_metadata_url);
  EXPECT_EQ(doc["redirect_uris"], nlohmann::json::array({settings.redirect_uri}));
  EXPECT_EQ(doc["token_endpoint_auth_method"], "none");
  EXPECT_FALSE(doc.contains("client_secret"));
  const auto reg = registration_request_body(settings);
  EXPECT_EQ(reg["redirect_uris"], nlohmann::json::array({settings.redirect_uri}));

  auto ok = parse_registration_response(201, R"({"client_id":"abc","client_secret":"s3"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->client_id, "abc");
  EXPECT_EQ(ok->client_secret, "s3");
  auto refused = parse_registration_response(400, R"({"error":"invalid_redirect_uri"})");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("invalid_redirect_uri"), std::string::npos);
  EXPECT_FALSE(parse_registration_response(201, R"({"client_secret":"s"})"));
  EXPECT_FALSE(parse_registration_response(201, R"({"client_id":""})"));
  EXPECT_FALSE(parse_registration_response(201, "<html>"));
}

}  // namespace
}  // namespace mcpgate::connectors
