#include "connectors/retry_policy.hpp"

#include <gtest/gtest.h>

#include "connectors/oauth_token_client.hpp"

namespace mcpgate::connectors {
namespace {

using namespace std::chrono_literals;

TEST(RetryPolicyTest, RetryableStatuses) {
  for (int s : {408, 429, 500, 502, 503, 504}) {
    EXPECT_TRUE(is_retryable_status(s)) << s;
  }
  for (int s : {200, 400, 401, 403, 404, 409, 422}) {
    EXPECT_FALSE(is_retryable_status(s)) << s;
    EXPECT_FALSE(is_breaker_failure(s)) << s;
  }
}

TEST(RetryPolicyTest, RetryAfterSecondsAndHttpDate) {
  EXPECT_EQ(parse_retry_after("3", 0), 3s);
  EXPECT_EQ(parse_retry_after(" 0 ", 0), 0s);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0s);
  EXPECT_EQ(parse_retry_after("soon", 0), std::nullopt);
  EXPECT_EQ(parse_retry_after("", 0), std::nullopt);
}

TEST(RetryPolicyTest, BackoffIsFullJitterUnderTheCeiling) {
  RetryOptions o;
  o.base_delay = 100ms;
  o.max_delay = 1000ms;
  for (int i = 0; i < 200; ++i) {
    EXPECT_LE(backoff_delay(1, o), 100ms);
    EXPECT_LE(backoff_delay(3, o), 400ms);
    EXPECT_LE(backoff_delay(30, o), 1000ms);
  }
}

TEST(RetryPolicyTest, RefreshMargin) {
  EXPECT_EQ(refresh_margin_s(0), 60);          // unknown lifetime
  EXPECT_EQ(refresh_margin_s(300), 60);        // 10% = 30 s < 60 s floor
  EXPECT_EQ(refresh_margin_s(3600), 360);      // 10%
  EXPECT_EQ(refresh_margin_s(86400), 900);     // capped at 15 min
  EXPECT_TRUE(refresh_due(1000 + 3600, 1000, 1000 + 3600 - 359, 0));
  EXPECT_FALSE(refresh_due(1000 + 3600, 1000, 1000 + 3600 - 361, 0));
  EXPECT_TRUE(refresh_due(1000 + 3600, 1000, 1000 + 3600 - 361, 5));  // jitter: earlier
  EXPECT_FALSE(refresh_due(0, 1000, 99999, 0));                         // no expiry known
}

TEST(RetryPolicyTest, OnlyResolutionAndRefusedConnectionsProveNothingWasSent) {
  EXPECT_TRUE(never_reached_server(make_error(ErrorCode::kUnavailable, "cannot resolve x")));
  EXPECT_TRUE(never_reached_server(
      make_error(ErrorCode::kUnavailable, "http://h/: connect failed: Connection refused")));
  EXPECT_FALSE(never_reached_server(
      make_error(ErrorCode::kUnavailable, "http://h/: connection closed before a response")));
  EXPECT_FALSE(never_reached_server(make_error(ErrorCode::kDeadlineExceeded, "timeout")));
}

ConnectorDef token_connector(ClientAuth auth) {
  ConnectorDef c;
  c.id = "acme";
  c.oauth.token_url = "https://auth.acme.example/token";
  c.oauth.client_auth = auth;
  c.api.hosts = {"api.acme.example"};
  return c;
}

TEST(OAuthTokenClientTest, RefreshRequestPerClientAuthAndResource) {
  auto basic = token_connector(ClientAuth::kClientSecretBasic);
  auto req = refresh_token_request(basic, {"id", "se:cret", std::nullopt}, "r t");
  EXPECT_EQ(req.body, "grant_type=refresh_token&refresh_token=r+t");
  bool has_basic = false;
  for (const auto& [k, v] : req.headers) {
    has_basic = has_basic || (k == "Authorization" && v == "Basic aWQ6c2UlM0FjcmV0");
  }
  EXPECT_TRUE(has_basic);
  auto post = token_connector(ClientAuth::kClientSecretPost);
  post.oauth.resource_indicator = true;
  req = refresh_token_request(post, {"id", "sec", std::nullopt}, "rt");
  EXPECT_EQ(req.body,
            "grant_type=refresh_token&refresh_token=rt&client_id=id&client_secret=sec"
            "&resource=https%3A%2F%2Fapi.acme.example");
  auto none = token_connector(ClientAuth::kNone);
  req = refresh_token_request(none, {"id", "", std::nullopt}, "rt");
  EXPECT_EQ(req.body, "grant_type=refresh_token&refresh_token=rt&client_id=id");
}

TEST(OAuthTokenClientTest, RefreshSendsTheConfiguredResourceTheConnectFlowUsed) {
  auto post = token_connector(ClientAuth::kClientSecretPost);
  post.oauth.resource_indicator = true;
  const ConnectorCredentials client{"id", "sec", std::string("https://api.acme.example/v2")};
  const auto req = refresh_token_request(post, client, "rt");
  EXPECT_EQ(req.body,
            "grant_type=refresh_token&refresh_token=rt&client_id=id&client_secret=sec"
            "&resource=https%3A%2F%2Fapi.acme.example%2Fv2");
}

TEST(OAuthTokenClientTest, ParsesAnswersAndQuirks) {
  auto c = token_connector(ClientAuth::kNone);
  auto ok = parse_refresh_response(c, 200, "application/json",
                                   R"({"access_token":"a","expires_in":60,"scope":"s"})");
  ASSERT_TRUE(std::holds_alternative<RefreshedTokens>(ok));
  EXPECT_EQ(std::get<RefreshedTokens>(ok).refresh_token, std::nullopt);  // not rotated: keep
  EXPECT_EQ(std::get<RefreshedTokens>(ok).expires_in, 60);
  auto form = parse_refresh_response(c, 200, "application/x-www-form-urlencoded",
                                     "access_token=a%2Bb&refresh_token=r&expires_in=30");
  ASSERT_TRUE(std::holds_alternative<RefreshedTokens>(form));
  EXPECT_EQ(std::get<RefreshedTokens>(form).access_token, "a+b");
  EXPECT_EQ(std::get<RefreshedTokens>(form).expires_in, 30);
  c.oauth.quirks.expires_in_missing = true;
  auto no_exp = parse_refresh_response(c, 200, "application/json",
                                       R"({"access_token":"a","expires_in":60})");
  EXPECT_EQ(std::get<RefreshedTokens>(no_exp).expires_in, std::nullopt);
  auto grant = parse_refresh_response(c, 400, "application/json", R"({"error":"invalid_grant"})");
  EXPECT_EQ(std::get<RefreshError>(grant).kind, RefreshFailure::kInvalidGrant);
  auto client = parse_refresh_response(c, 401, "application/json", R"({"error":"invalid_client"})");
  EXPECT_EQ(std::get<RefreshError>(client).kind, RefreshFailure::kInvalidClient);
  auto down = parse_refresh_response(c, 503, "text/html", "<html>");
  EXPECT_EQ(std::get<RefreshError>(down).kind, RefreshFailure::kTransient);
  auto secretless = parse_refresh_response(c, 200, "application/json", R"({"access_token":"SECRET"})");
  (void)secretless;
  auto bad = parse_refresh_response(c, 500, "application/json", R"({"access_token":"SECRET"})");
  EXPECT_EQ(std::get<RefreshError>(bad).message.find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace mcpgate::connectors
