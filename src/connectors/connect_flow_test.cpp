#include "connectors/connect_flow.hpp"

#include <gtest/gtest.h>

#include "connectors/oauth_token_client.hpp"

namespace mcpgate::connectors {
namespace {

ConnectorDef connect_test_def() {
  ConnectorDef d;
  d.id = "fake";
  d.oauth.authorize_url = "https://saas.example/oauth/authorize";
  d.oauth.token_url = "https://saas.example/oauth/token";
  d.oauth.revoke_url = "https://saas.example/oauth/revoke";
  d.oauth.scopes = {"items:read", "profile"};
  d.oauth.pkce = Pkce::kRequired;
  d.oauth.resource_indicator = true;
  d.oauth.issuer = "https://saas.example";
  return d;
}

std::string header_of(const HttpRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) {
      return v;
    }
  }
  return "";
}

PendingConnect pending_for(std::string browser) {
  return PendingConnect{"fake", "usr_1", std::move(browser), "verifier", 0};
}

TEST(ConnectStatesTest, StateIsSingleUse) {
  ConnectStates states;
  const std::string s = states.create(pending_for("b1"), 1000);
  EXPECT_GE(s.size(), 40u);
  auto first = states.take(s, "b1", 1001);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->user_id, "usr_1");
  EXPECT_EQ(first->code_verifier, "verifier");
  auto again = states.take(s, "b1", 1002);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST(ConnectStatesTest, WrongBrowserSessionIsRefusedAndBurnsTheState) {
  ConnectStates states;
  const std::string s = states.create(pending_for("b1"), 1000);
  auto other = states.take(s, "b2", 1001);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(states.take(s, "b1", 1001).ok());  // an attacker's try ends the flow
  const std::string s2 = states.create(pending_for("b1"), 1000);
  EXPECT_FALSE(states.take(s2, "", 1001).ok());  // no session at all
}

TEST(ConnectStatesTest, ExpiredStateIsRefused) {
  ConnectStates states;
  const std::string s = states.create(pending_for("b1"), 1000);
  auto late = states.take(s, "b1", 1000 + ConnectStates::kTtlSeconds);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(states.take("never-issued", "b1", 1000).ok());
}

TEST(ConnectFlowTest, IssuerChecks) {
  ConnectorDef d = connect_test_def();
  EXPECT_TRUE(check_issuer(d, std::string("https://saas.example")).ok());
  EXPECT_FALSE(check_issuer(d, std::string("https://evil.example")).ok());
  EXPECT_FALSE(check_issuer(d, std::nullopt).ok());  // required once declared
  d.oauth.issuer.clear();
  EXPECT_TRUE(check_issuer(d, std::nullopt).ok());
}

TEST(ConnectFlowTest, PkceChallengeIsS256OfTheVerifier) {
  // RFC 7636 appendix B.
  EXPECT_EQ(s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const std::string v = new_code_verifier();
  EXPECT_EQ(v.size(), 43u);
  EXPECT_NE(v, new_code_verifier());
}

TEST(ConnectFlowTest, AuthorizeUrlCarriesEverything) {
  const ConnectorDef d = connect_test_def();
  const std::string url = authorize_url(d, {"cid", "secret"},
                                        {"https://gate.example/connect/callback", "st", "ch",
                                         "https://saas.example/api"});
  EXPECT_EQ(url,
            "https://saas.example/oauth/authorize?response_type=code&client_id=cid&redirect_uri="
            "https%3A%2F%2Fgate.example%2Fconnect%2Fcallback&state=st&scope=items%3Aread+profile"
            "&code_challenge=ch&code_challenge_method=S256&resource=https%3A%2F%2Fsaas.example%2Fapi");
  EXPECT_EQ(url.find("secret"), std::string::npos);
}

TEST(ConnectFlowTest, TokenRequestWithBasicAuth) {
  const ConnectorDef d = connect_test_def();
  const HttpRequest r = token_request(d, {"c id", "s:e"}, "the-code", "the-verifier",
                                      "https://gate.example/connect/callback",
                                      "https://saas.example/api");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://saas.example/oauth/token");
  EXPECT_EQ(header_of(r, "Content-Type"), "application/x-www-form-urlencoded");
  // base64("c+id:s%3Ae")
  EXPECT_EQ(header_of(r, "Authorization"), "Basic YytpZDpzJTNBZQ==");
  EXPECT_EQ(r.body,
            "grant_type=authorization_code&code=the-code&redirect_uri=https%3A%2F%2Fgate.example"
            "%2Fconnect%2Fcallback&code_verifier=the-verifier&resource=https%3A%2F%2Fsaas.example"
            "%2Fapi");
}

TEST(ConnectFlowTest, TokenRequestWithPostAuthAndNoResourceSupport) {
  ConnectorDef d = connect_test_def();
  d.oauth.client_auth = ClientAuth::kClientSecretPost;
  d.oauth.resource_indicator = false;
  const HttpRequest r = token_request(d, {"cid", "sec"}, "c", "v", "https://g/cb", "https://r");
  EXPECT_EQ(header_of(r, "Authorization"), "");
  EXPECT_EQ(r.body,
            "grant_type=authorization_code&code=c&redirect_uri=https%3A%2F%2Fg%2Fcb&code_verifier=v"
            "&client_id=cid&client_secret=sec");
}

TEST(ConnectFlowTest, ParsesTokenResponses) {
  const ConnectorDef d = connect_test_def();
  auto ok = parse_token_response(
      d, 200, "application/json",
      R"({"access_token":"at","refresh_token":"rt","expires_in":3600,"scope":"items:read"})", 100);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->access_token, "at");
  EXPECT_EQ(ok->refresh_token, "rt");
  EXPECT_EQ(ok->expires_at, 3700);
  EXPECT_EQ(ok->scopes, "items:read");
  auto refused = parse_token_response(d, 400, "application/json",
                                      R"({"error":"invalid_grant","error_description":"x"})", 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("invalid_grant"), std::string::npos);
  EXPECT_FALSE(parse_token_response(d, 200, "application/json", R"({"token":"x"})", 0).ok());
  auto form = parse_token_response(d, 200, "application/x-www-form-urlencoded",
                                   "access_token=a%2Bb&scope=x+y", 0);
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->access_token, "a+b");
  EXPECT_EQ(form->scopes, "x y");
}

TEST(ConnectFlowTest, RevocationRefreshTokenFirst) {
  const ConnectorDef d = connect_test_def();
  const auto reqs = revocation_requests(d, {"cid", "sec"}, "rt", "at");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].url, "https://saas.example/oauth/revoke");
  EXPECT_EQ(reqs[0].body, "token=rt&token_type_hint=refresh_token");
  EXPECT_EQ(reqs[1].body, "token=at&token_type_hint=access_token");
  ConnectorDef none = d;
  none.oauth.revoke_url.clear();
  EXPECT_TRUE(revocation_requests(none, {"cid", "sec"}, "rt", "at").empty());
}

ConnectorDef salesforce_like_def() {
  ConnectorDef d = connect_test_def();
  d.api.hosts = {"*.my.salesforce.com"};
  d.oauth.connection_vars = {{"instance_url", "instance_url", true}, {"org", "org_id", false}};
  return d;
}

TEST(ConnectFlowTest, CodeExchangeCapturesTheDeclaredConnectionVariables) {
  const ConnectorDef d = salesforce_like_def();
  auto ok = parse_token_response(
      d, 200, "application/json",
      R"({"access_token":"at","instance_url":"https://acme.my.salesforce.com","org_id":"00D1"})",
      0);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->connection_vars,
            (ConnectionVars{{"instance_url", "https://acme.my.salesforce.com"}, {"org", "00D1"}}));
  auto form = parse_token_response(
      d, 200, "application/x-www-form-urlencoded",
      "access_token=at&instance_url=https%3A%2F%2Fx.my.salesforce.com&org_id=o", 0);
  ASSERT_TRUE(form.ok()) << form.error().message;
  EXPECT_EQ(form->connection_vars.at("instance_url"), "https://x.my.salesforce.com");
  for (const char* bad :
       {R"({"access_token":"at","org_id":"o"})",
        R"({"access_token":"at","instance_url":"https://evil.example","org_id":"o"})",
        R"({"access_token":"at","instance_url":"http://acme.my.salesforce.com","org_id":"o"})",
        R"({"access_token":"at","instance_url":"https://my.salesforce.com","org_id":"o"})",
        R"({"access_token":"at","instance_url":"https://acme.my.salesforce.com","org_id":7})",
        R"({"access_token":"at","instance_url":"https://acme.my.salesforce.com","org_id":"a\nb"})"}) {
    auto r = parse_token_response(d, 200, "application/json", bad, 0);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.error().message.find("\"at\""), std::string::npos);
  }
  const std::string long_org(kMaxConnectionVarBytes + 1, 'o');
  EXPECT_FALSE(parse_token_response(d, 200, "application/json",
                                    R"({"access_token":"at","instance_url":)"
                                        R"("https://a.my.salesforce.com","org_id":")"
                                        + long_org + "\"}",
                                    0)
                   .ok());
}

TEST(ConnectFlowTest, RefreshAnswersUpdateConnectionVariablesOnlyWhenTheyCarryThem) {
  const ConnectorDef d = salesforce_like_def();
  auto carried = parse_refresh_response(
      d, 200, "application/json",
      R"({"access_token":"at2","instance_url":"https://b.my.salesforce.com"})");
  ASSERT_TRUE(std::holds_alternative<RefreshedTokens>(carried));
  EXPECT_EQ(std::get<RefreshedTokens>(carried).connection_vars,
            (ConnectionVars{{"instance_url", "https://b.my.salesforce.com"}}));
  auto lacking = parse_refresh_response(d, 200, "application/json", R"({"access_token":"at2"})");
  ASSERT_TRUE(std::holds_alternative<RefreshedTokens>(lacking));
  EXPECT_TRUE(std::get<RefreshedTokens>(lacking).connection_vars.empty());
  auto hostile = parse_refresh_response(
      d, 200, "application/json", R"({"access_token":"at2","instance_url":"https://evil.example"})");
  ASSERT_TRUE(std::holds_alternative<RefreshError>(hostile));
  EXPECT_EQ(std::get<RefreshError>(hostile).kind, RefreshFailure::kTransient);
  EXPECT_EQ(std::get<RefreshError>(hostile).message.find("at2"), std::string::npos);
}

TEST(ConnectFlowTest, ConnectionVariablesEncodeForTheVaultAndBack) {
  const ConnectionVars vars{{"instance_url", "https://a.my.salesforce.com"}, {"org", "o\"1"}};
  EXPECT_EQ(decode_connection_vars(encode_connection_vars(vars)).value(), vars);
  EXPECT_EQ(encode_connection_vars({}), "");
  EXPECT_TRUE(decode_connection_vars("").value().empty());
  EXPECT_FALSE(decode_connection_vars("[1]").ok());
  EXPECT_FALSE(decode_connection_vars(R"({"a":1})").ok());
  EXPECT_FALSE(decode_connection_vars("{").ok());
}

}  // namespace
}  // namespace mcpgate::connectors
