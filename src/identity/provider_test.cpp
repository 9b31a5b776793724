// Provider configuration, discovery documents and JWKS documents, without the network.
#include "identity/provider.hpp"

#include <gtest/gtest.h>

#include "identity/test_support.hpp"

namespace mcpgate::identity {
namespace {

using crypto::JwsAlgorithm;

ProviderConfig prov_config() {
  ProviderConfig c;
  c.issuer = "https://login.example.com/tenant-1";
  c.client_id = "gate";
  c.client_secret = "secret";
  c.redirect_uri = "https://gate.example.com/sso/callback";
  return c;
}

nlohmann::json prov_document() {
  return {{"issuer", "https://login.example.com/tenant-1"},
          {"authorization_endpoint", "https://login.example.com/tenant-1/authorize"},
          {"token_endpoint", "https://login.example.com/tenant-1/token"},
          {"jwks_uri", "https://keys.example.net/tenant-1/jwks"},
          {"response_types_supported", {"code", "id_token"}},
          {"id_token_signing_alg_values_supported", {"RS256"}},
          {"authorization_response_iss_parameter_supported", true}};
}

TEST(ProviderConfigTest, ValidatesTheConfiguration) {
  EXPECT_TRUE(validate_provider_config(prov_config()).ok());
  auto c = prov_config();
  c.issuer = "http://login.example.com";
  EXPECT_FALSE(validate_provider_config(c).ok());
  c.issuer = "https://login.example.com/?tenant=1";
  EXPECT_FALSE(validate_provider_config(c).ok());
  c = prov_config();
  c.client_id.clear();
  EXPECT_FALSE(validate_provider_config(c).ok());
  c = prov_config();
  c.client_secret.clear();
  EXPECT_FALSE(validate_provider_config(c).ok());
  c.auth_method = ClientAuthMethod::kPrivateKeyJwt;
  EXPECT_FALSE(validate_provider_config(c).ok());
  c.assertion_key = testing::idp_ec_key();
  EXPECT_TRUE(validate_provider_config(c).ok());
  c = prov_config();
  c.scopes = {"email", "profile"};
  EXPECT_FALSE(validate_provider_config(c).ok());
  c.scopes = {"openid", "bad scope"};
  EXPECT_FALSE(validate_provider_config(c).ok());
  c = prov_config();
  c.allowed_algs.clear();
  EXPECT_FALSE(validate_provider_config(c).ok());
  c = prov_config();
  c.claims.groups = "a..b";
  EXPECT_FALSE(validate_provider_config(c).ok());
  c = prov_config();
  c.redirect_uri = "http://gate.example.com/sso/callback";
  EXPECT_FALSE(validate_provider_config(c).ok());
  // Loopback http only with the test switch.
  c = prov_config();
  c.issuer = "http://127.0.0.1:4000";
  EXPECT_FALSE(validate_provider_config(c).ok());
  c.allow_loopback_http = true;
  EXPECT_TRUE(validate_provider_config(c).ok());
  c.issuer = "http://10.0.0.1:4000";
  EXPECT_FALSE(validate_provider_config(c).ok());
}

TEST(ProviderConfigTest, DiscoveryUrlDropsATrailingSlash) {
  EXPECT_EQ(discovery_url("https://a.example/t1/"),
            "https://a.example/t1/.well-known/openid-configuration");
  EXPECT_EQ(discovery_url("https://a.example"),
            "https://a.example/.well-known/openid-configuration");
}

TEST(DiscoveryDocumentTest, ParsesAGoodDocument) {
  const auto m = parse_provider_metadata(prov_document().dump(), prov_config());
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->jwks_uri, "https://keys.example.net/tenant-1/jwks");
  EXPECT_TRUE(m->authorization_response_iss_parameter_supported);
  EXPECT_EQ(m->id_token_signing_alg_values_supported, (std::vector<std::string>{"RS256"}));
  EXPECT_EQ(effective_id_token_algs(prov_config(), *m).value(),
            (std::vector<JwsAlgorithm>{JwsAlgorithm::kRS256}));
  // Without the member, RS256 is assumed (Discovery §3).
  auto doc = prov_document();
  doc.erase("id_token_signing_alg_values_supported");
  EXPECT_EQ(
      parse_provider_metadata(doc.dump(), prov_config())->id_token_signing_alg_values_supported,
      (std::vector<std::string>{"RS256"}));
}

TEST(DiscoveryDocumentTest, RefusesAMismatchingIssuer) {
  for (const char* issuer : {"https://login.example.com/tenant-1/",
                             "https://LOGIN.example.com/tenant-1",
                             "https://login.example.com/tenant-2",
                             "https://evil.example.com/tenant-1"}) {
    auto doc = prov_document();
    doc["issuer"] = issuer;
    const auto m = parse_provider_metadata(doc.dump(), prov_config());
    ASSERT_FALSE(m.ok()) << issuer;
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
  }
  auto doc = prov_document();
  doc.erase("issuer");
  EXPECT_FALSE(parse_provider_metadata(doc.dump(), prov_config()).ok());
  doc["issuer"] = 7;
  EXPECT_FALSE(parse_provider_metadata(doc.dump(), prov_config()).ok());
}

TEST(DiscoveryDocumentTest, RefusesHttpAndMalformedEndpoints) {
  for (const char* member :
       {"authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"}) {
    for (const char* url : {"http://login.example.com/x",
                            "ftp://login.example.com/x",
                            "https://user@login.example.com/x",
                            "not a url",
                            ""}) {
      auto doc = prov_document();
      doc[member] = url;
      EXPECT_FALSE(parse_provider_metadata(doc.dump(), prov_config()).ok()) << member << " " << url;
    }
  }
  for (const char* member : {"authorization_endpoint", "token_endpoint", "jwks_uri"}) {
    auto doc = prov_document();
    doc.erase(member);
    EXPECT_FALSE(parse_provider_metadata(doc.dump(), prov_config()).ok()) << member;
  }
  // Loopback http endpoints pass only in test mode, and only on loopback.
  auto c = prov_config();
  c.issuer = "http://127.0.0.1:4000";
  c.allow_loopback_http = true;
  auto doc = prov_document();
  doc["issuer"] = c.issuer;
  doc["jwks_uri"] = "http://127.0.0.1:4000/jwks";
  EXPECT_TRUE(parse_provider_metadata(doc.dump(), c).ok());
  doc["jwks_uri"] = "http://192.168.1.10/jwks";
  EXPECT_FALSE(parse_provider_metadata(doc.dump(), c).ok());
}

TEST(DiscoveryDocumentTest, RefusesMistypedMembersAndHostileJson) {
  auto doc = prov_document();
  doc["authorization_response_iss_parameter_supported"] = "true";
  EXPECT_FALSE(parse_provider_metadata(doc.dump(), prov_config()).ok());
  doc = prov_document();
  doc["id_token_signing_alg_values_supported"] = "RS256";
  EXPECT_FALSE(parse_provider_metadata(doc.dump(), prov_config()).ok());
  doc = prov_document();
  doc["response_types_supported"] = {"id_token"};
  EXPECT_FALSE(parse_provider_metadata(doc.dump(), prov_config()).ok());
  for (const std::string& body : {std::string("[]"),
                                  std::string("{"),
                                  std::string("null"),
                                  std::string(100, '['),
                                  std::string(R"({"issuer":"a","issuer":"b"})"),
                                  std::string(70 * 1024, ' ') + "{}"}) {
    EXPECT_FALSE(parse_provider_metadata(body, prov_config()).ok()) << body.substr(0, 20);
  }
}

TEST(DiscoveryDocumentTest, NoCommonAlgorithmIsAFailedPrecondition) {
  auto doc = prov_document();
  doc["id_token_signing_alg_values_supported"] = {"HS256", "none", "RS512"};
  const auto m = parse_provider_metadata(doc.dump(), prov_config());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(effective_id_token_algs(prov_config(), *m).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(JwksDocumentTest, SkipsKeysNotForSignaturesOrOfUnknownTypes) {
  auto jwks = testing::jwks_of({&testing::idp_rsa_key(), &testing::idp_ed_key()});
  auto enc = testing::idp_ec_key().public_jwk();
  enc["use"] = "enc";
  jwks["keys"].push_back(enc);
  jwks["keys"].push_back({{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}});
  jwks["keys"].push_back({{"kty", "EC"}, {"crv", "P-521"}, {"x", "AA"}, {"y", "AA"}});
  jwks["keys"].push_back("not a key");
  const auto set = parse_jwks(jwks.dump());
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->keys().size(), 2U);
  EXPECT_EQ(set->find(testing::idp_ec_key().kid(), JwsAlgorithm::kES256), nullptr);
}

TEST(JwksDocumentTest, RefusesOversizedMalformedAndEmptySets) {
  EXPECT_FALSE(parse_jwks("").ok());
  EXPECT_FALSE(parse_jwks("{}").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":{}})").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":[]})").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":[],"keys":[]})").ok());
  // More keys than the cap.
  nlohmann::json many = {{"keys", nlohmann::json::array()}};
  for (std::size_t i = 0; i <= kMaxJwksKeys; ++i) {
    many["keys"].push_back(testing::idp_ec_key().public_jwk());
  }
  EXPECT_FALSE(parse_jwks(many.dump()).ok());
  // Bigger than the byte cap.
  auto big = testing::jwks_of({&testing::idp_ec_key()});
  big["pad"] = std::string(kMaxJwksBytes, 'x');
  EXPECT_FALSE(parse_jwks(big.dump()).ok());
  // Nested too deep.
  EXPECT_FALSE(
      parse_jwks(R"({"keys":[)" + std::string(50, '[') + std::string(50, ']') + "]}").ok());
}

}  // namespace
}  // namespace mcpgate::identity
