// The authorization request, the callback and the token request as pure functions.
#include "identity/authorization.hpp"

#include <set>

#include <gtest/gtest.h>

#include "identity/test_support.hpp"

namespace mcpgate::identity {
namespace {

using testing::url_query;

ProviderMetadata authz_metadata() {
  ProviderMetadata m;
  m.issuer = "https://idp.example.com";
  m.authorization_endpoint = "https://idp.example.com/authorize";
  m.token_endpoint = "https://idp.example.com/oauth2/token";
  m.jwks_uri = "https://idp.example.com/jwks";
  return m;
}

ProviderConfig authz_config() {
  ProviderConfig c;
  c.issuer = "https://idp.example.com";
  c.client_id = "gate client";
  c.client_secret = "p@ss:word";
  c.redirect_uri = "https://gate.example.com/sso/callback";
  return c;
}

AuthorizationRequest authz_request() {
  AuthorizationRequest r;
  r.authorization_endpoint = "https://idp.example.com/authorize";
  r.client_id = "gate";
  r.redirect_uri = "https://gate.example.com/sso/callback";
  r.scopes = {"openid", "email"};
  r.state = "st";
  r.nonce = "no";
  r.code_challenge = pkce_s256("verifier");
  return r;
}

TEST(AuthorizationUrlTest, CarriesTheCodeFlowWithPkceStateAndNonce) {
  auto r = authz_request();
  r.prompt = "select_account";
  r.login_hint = "jane@example.com";
  r.max_age = 300;
  const auto url = authorization_url(r);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->rfind("https://idp.example.com/authorize?", 0), 0U);
  const auto q = url_query(*url);
  EXPECT_EQ(q["response_type"], "code");
  EXPECT_EQ(q["client_id"], "gate");
  EXPECT_EQ(q["redirect_uri"], "https://gate.example.com/sso/callback");
  EXPECT_EQ(q["scope"], "openid email");
  EXPECT_EQ(q["state"], "st");
  EXPECT_EQ(q["nonce"], "no");
  EXPECT_EQ(q["code_challenge"], pkce_s256("verifier"));
  EXPECT_EQ(q["code_challenge_method"], "S256");
  EXPECT_EQ(q["prompt"], "select_account");
  EXPECT_EQ(q["login_hint"], "jane@example.com");
  EXPECT_EQ(q["max_age"], "300");
  // An endpoint with its own query keeps it.
  r.authorization_endpoint = "https://idp.example.com/authorize?p=B2C_1_signin";
  EXPECT_NE(authorization_url(r)->find("?p=B2C_1_signin&response_type=code"), std::string::npos);
}

TEST(AuthorizationUrlTest, RefusesBadOptions) {
  auto r = authz_request();
  r.prompt = "none login";
  EXPECT_FALSE(authorization_url(r).ok());
  r.prompt = "always";
  EXPECT_FALSE(authorization_url(r).ok());
  r = authz_request();
  r.login_hint = "jane@example.com\r\nX: y";
  EXPECT_FALSE(authorization_url(r).ok());
  r.login_hint = std::string(300, 'a');
  EXPECT_FALSE(authorization_url(r).ok());
  r = authz_request();
  r.max_age = -1;
  EXPECT_FALSE(authorization_url(r).ok());
  r = authz_request();
  r.nonce.clear();
  EXPECT_FALSE(authorization_url(r).ok());
}

TEST(PkceTest, VerifiersAreFreshAndTheChallengeIsS256) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const auto v = new_pkce_verifier();
    EXPECT_EQ(v.size(), 43U);
    EXPECT_TRUE(seen.insert(v).second);
  }
  // RFC 7636 Appendix B.
  EXPECT_EQ(pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(LoginStatesTest, Attacks063StateIsSingleUseBrowserBoundAndExpires) {
  LoginStates states;
  PendingLogin p;
  p.browser_key = "browser-1";
  p.nonce = "n";
  const std::string s1 = states.create(p, 1000, 600);
  EXPECT_GE(s1.size(), 43U);
  EXPECT_TRUE(states.take(s1, "browser-1", 1001).ok());
  // Reused.
  EXPECT_EQ(states.take(s1, "browser-1", 1002).error().code, ErrorCode::kNotFound);
  // Another browser: refused, and the state is burnt for the right one too.
  const std::string s2 = states.create(p, 1000, 600);
  EXPECT_EQ(states.take(s2, "browser-2", 1001).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(states.take(s2, "browser-1", 1001).error().code, ErrorCode::kNotFound);
  const std::string s3 = states.create(p, 1000, 600);
  EXPECT_EQ(states.take(s3, "", 1001).error().code, ErrorCode::kPermissionDenied);
  // Expired.
  const std::string s4 = states.create(p, 1000, 600);
  EXPECT_EQ(states.take(s4, "browser-1", 1600).error().code, ErrorCode::kNotFound);
  // Unknown and missing.
  EXPECT_FALSE(states.take("made-up", "browser-1", 1001).ok());
  EXPECT_FALSE(states.take("", "browser-1", 1001).ok());
  EXPECT_EQ(states.size(), 0U);
}

TEST(CallbackTest, ParsesTheCallbackQuery) {
  const auto p = parse_callback_query(
      "code=Spl%2Bx&state=abc&iss=https%3A%2F%2Fidp.example.com&session_state=z&");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->code, "Spl+x");
  EXPECT_EQ(p->state, "abc");
  EXPECT_EQ(p->iss, "https://idp.example.com");
  EXPECT_FALSE(p->error.has_value());
  const auto e = parse_callback_query("error=access_denied&error_description=User+said+no&state=s");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->error, "access_denied");
  EXPECT_EQ(e->error_description, "User said no");
  // Duplicates (which value would be used?), bad escapes, oversized queries.
  EXPECT_FALSE(parse_callback_query("state=a&state=b").ok());
  EXPECT_FALSE(parse_callback_query("code=a&code=a").ok());
  EXPECT_FALSE(parse_callback_query("code=%zz").ok());
  EXPECT_FALSE(parse_callback_query("code=%2").ok());
  EXPECT_FALSE(parse_callback_query("code=" + std::string(17 * 1024, 'a')).ok());
}

TEST(CallbackTest, Attacks063IssuerParameterIsChecked) {
  auto m = authz_metadata();
  CallbackParams p;
  p.state = "s";
  p.code = "c";
  // Not advertised: absent is fine, present must match.
  EXPECT_TRUE(check_callback_issuer(p, m).ok());
  p.iss = "https://evil.example.com";
  EXPECT_EQ(check_callback_issuer(p, m).error().code, ErrorCode::kPermissionDenied);
  p.iss = m.issuer;
  EXPECT_TRUE(check_callback_issuer(p, m).ok());
  // Advertised (RFC 9207): required and equal.
  m.authorization_response_iss_parameter_supported = true;
  EXPECT_TRUE(check_callback_issuer(p, m).ok());
  p.iss.reset();
  EXPECT_EQ(check_callback_issuer(p, m).error().code, ErrorCode::kPermissionDenied);
  p.iss = "https://idp.example.com/";
  EXPECT_FALSE(check_callback_issuer(p, m).ok());
}

TEST(CallbackTest, ErrorCodesAreSanitized) {
  EXPECT_EQ(sanitized_error_code("access_denied"), "access_denied");
  EXPECT_EQ(sanitized_error_code("bad\r\n\"x\""), "bad???x?");
  EXPECT_EQ(sanitized_error_code(std::string(100, 'e')).size(), 64U);
}

TEST(TokenRequestTest, ClientSecretBasicFormEncodesTheCredentials) {
  const auto req =
      token_request(authz_config(), authz_metadata(), "the-code", "the-verifier", "https://r", 0);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->url, "https://idp.example.com/oauth2/token");
  std::string auth;
  for (const auto& [name, value] : req->headers) {
    if (name == "Authorization") {
      auth = value;
    }
  }
  ASSERT_EQ(auth.rfind("Basic ", 0), 0U);
  std::string b64 = auth.substr(6);
  while (!b64.empty() && b64.back() == '=') {
    b64.pop_back();
  }
  EXPECT_EQ(crypto::base64_unpadded_decode(b64).value(), "gate%20client:p%40ss%3Aword");
  const auto q = url_query("?" + req->body);
  EXPECT_EQ(q["grant_type"], "authorization_code");
  EXPECT_EQ(q["code"], "the-code");
  EXPECT_EQ(q["code_verifier"], "the-verifier");
  EXPECT_EQ(q["redirect_uri"], "https://r");
  EXPECT_FALSE(q.contains("client_secret"));
}

TEST(TokenRequestTest, ClientSecretPostAndMethodNegotiation) {
  auto c = authz_config();
  c.auth_method = ClientAuthMethod::kClientSecretPost;
  auto req = token_request(c, authz_metadata(), "code", "v", "https://r", 0);
  ASSERT_TRUE(req.ok());
  const auto q = url_query("?" + req->body);
  EXPECT_EQ(q["client_id"], "gate client");
  EXPECT_EQ(q["client_secret"], "p@ss:word");
  // The provider lists its methods and ours is not among them.
  auto m = authz_metadata();
  m.token_endpoint_auth_methods_supported = {"client_secret_basic"};
  EXPECT_EQ(token_request(c, m, "code", "v", "https://r", 0).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(TokenRequestTest, PrivateKeyJwtSignsAShortLivedUniqueAssertion) {
  auto c = authz_config();
  c.auth_method = ClientAuthMethod::kPrivateKeyJwt;
  c.client_secret.clear();
  c.assertion_key = testing::idp_ec_key();
  const auto m = authz_metadata();
  const auto req = token_request(c, m, "code", "v", "https://r", 5000);
  ASSERT_TRUE(req.ok()) << req.error().message;
  auto q = url_query("?" + req->body);
  EXPECT_EQ(q["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_FALSE(q.contains("client_secret"));
  crypto::JwtVerifyOptions vo;
  vo.allowed_algs = {crypto::JwsAlgorithm::kES256};
  const auto jwt = crypto::verify_jwt(
      q["client_assertion"].get<std::string>(), testing::idp_ec_key().public_key(), vo);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->payload["iss"], "gate client");
  EXPECT_EQ(jwt->payload["sub"], "gate client");
  EXPECT_EQ(jwt->payload["aud"], m.token_endpoint);
  EXPECT_EQ(jwt->payload["iat"], 5000);
  EXPECT_EQ(jwt->payload["exp"], 5060);
  // A fresh jti every time.
  const auto again = client_assertion(c, m, 5000).value();
  const auto jwt2 = crypto::verify_jwt(again, testing::idp_ec_key().public_key(), vo).value();
  EXPECT_NE(jwt->payload["jti"], jwt2.payload["jti"]);
  // aud = issuer when the provider wants that.
  c.assertion_audience = AssertionAudience::kIssuer;
  const auto by_issuer =
      crypto::verify_jwt(
          client_assertion(c, m, 5000).value(), testing::idp_ec_key().public_key(), vo)
          .value();
  EXPECT_EQ(by_issuer.payload["aud"], m.issuer);
  // The provider lists assertion algorithms without ours.
  auto strict = m;
  strict.token_endpoint_auth_signing_alg_values_supported = {"RS256"};
  EXPECT_EQ(client_assertion(c, strict, 5000).error().code, ErrorCode::kFailedPrecondition);
}

TEST(TokenResponseTest, ParsesAndRefuses) {
  const auto ok = parse_token_response(
      200, "application/json", R"({"id_token":"a.b.c","access_token":"at","token_type":"Bearer"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->id_token, "a.b.c");
  EXPECT_EQ(ok->access_token, "at");
  EXPECT_EQ(parse_token_response(200, "application/json", R"({"access_token":"at"})").error().code,
            ErrorCode::kUnavailable);
  EXPECT_FALSE(parse_token_response(200, "application/json", R"({"id_token":5})").ok());
  EXPECT_FALSE(parse_token_response(200, "text/html", "<html>").ok());
  const auto refused = parse_token_response(
      400, "application/json", R"({"error":"invalid_grant","error_description":"secret stuff"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("invalid_grant"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("secret stuff"), std::string::npos);
  EXPECT_EQ(parse_token_response(502, "text/plain", "bad gateway").error().code,
            ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace mcpgate::identity
