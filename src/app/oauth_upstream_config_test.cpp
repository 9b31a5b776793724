// `auth: oauth` on gateway upstreams (issue 6 item 4): what the configuration accepts.
#include <cstdlib>

#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/config_test_support.hpp"

namespace mcpgate::app {
namespace {

std::string oauth_upstream_yaml(const std::string& upstream_extra) {
  return "gateway:\n  upstreams:\n    - name: crm\n      url: http://127.0.0.1:9001/mcp\n" +
         upstream_extra;
}

std::string oauth_upstream_error(const std::string& yaml) {
  auto c = parse_config(yaml, "test.yaml");
  return c ? std::string() : c.error().message;
}

TEST(OAuthUpstreamConfigTest, AuthOAuthWithSettings) {
  ::setenv("MCPGATE_TEST_CRM_SECRET", "s3cret", 1);
  Config c = test_support::parse_ok(oauth_upstream_yaml(
      "      auth: oauth\n      oauth: {client_id: gate, client_secret_env: MCPGATE_TEST_CRM_SECRET,"
      " scopes: [a, b], registration: dcr}\n"));
  ASSERT_EQ(c.gateway.upstreams.size(), 1u);
  const auto& o = c.gateway.upstreams[0].oauth;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.client_id, "gate");
  EXPECT_EQ(o.client_secret, "s3cret");
  EXPECT_EQ(o.scopes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o.registration, "dcr");
  EXPECT_FALSE(o.allow_loopback_http);
  ::unsetenv("MCPGATE_TEST_CRM_SECRET");
}

TEST(OAuthUpstreamConfigTest, DefaultIsNoAuth) {
  Config c = test_support::parse_ok(oauth_upstream_yaml(""));
  ASSERT_EQ(c.gateway.upstreams.size(), 1u);
  EXPECT_FALSE(c.gateway.upstreams[0].oauth.enabled);
}

TEST(OAuthUpstreamConfigTest, MistakesAreReported) {
  EXPECT_NE(oauth_upstream_error(oauth_upstream_yaml("      auth: basic\n")).find("auth"),
            std::string::npos);
  EXPECT_NE(oauth_upstream_error(oauth_upstream_yaml("      oauth: {client_id: x}\n"))
                .find("only with auth: oauth"),
            std::string::npos);
  EXPECT_NE(oauth_upstream_error(oauth_upstream_yaml("      auth: oauth\n      oauth: {registration: magic}\n"))
                .find("registration"),
            std::string::npos);
  EXPECT_NE(oauth_upstream_error(oauth_upstream_yaml("      auth: oauth\n      oauth: {client_secret: x}\n"))
                .find("client_id"),
            std::string::npos);
  EXPECT_NE(oauth_upstream_error(oauth_upstream_yaml("      auth: oauth\n      oauth: {clientid: x}\n"))
                .find("clientid"),
            std::string::npos);
  // The name is the connect link's id.
  EXPECT_NE(oauth_upstream_error("gateway:\n  upstreams:\n    - name: my-crm\n      url: "
                                 "http://127.0.0.1:9001/mcp\n      auth: oauth\n")
                .find("^[a-z][a-z0-9_]{0,23}$"),
            std::string::npos);
  // The gate sets Authorization per user.
  ::setenv("MCPGATE_TEST_CRM_KEY", "k", 1);
  EXPECT_NE(oauth_upstream_error(oauth_upstream_yaml(
                "      auth: oauth\n      headers: {Authorization: {env: MCPGATE_TEST_CRM_KEY}}\n"))
                .find("Authorization"),
            std::string::npos);
  ::unsetenv("MCPGATE_TEST_CRM_KEY");
  // Only for HTTP upstreams.
  EXPECT_NE(oauth_upstream_error("gateway:\n  upstreams:\n    - name: s\n      transport: stdio\n"
                                 "      command: /bin/true\n      auth: oauth\n")
                .find("streamable-http"),
            std::string::npos);
}

}  // namespace
}  // namespace mcpgate::app
