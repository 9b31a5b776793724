// The `admin:` section and what admin.enabled adds to the authorization server's settings.
#include <gtest/gtest.h>

#include <algorithm>

#include "app/admin_setup.hpp"
#include "app/config_test_support.hpp"
#include "oauth/scopes.hpp"

namespace mcpgate::app {
namespace {

using test_support::parse_ok;

bool has_scope(const oauth::AuthOptions& a, const std::string& name) {
  return std::any_of(a.scopes.begin(), a.scopes.end(),
                     [&](const oauth::ScopeOptions& s) { return s.name == name; });
}

TEST(AdminConfigTest, OffByDefaultAndAddsNothing) {
  const Config c = parse_ok("server: {public_url: 'https://gate.example'}\nauth: {enabled: true}\n");
  EXPECT_FALSE(c.admin.enabled);
  EXPECT_EQ(c.auth.resources, std::vector<std::string>{"https://gate.example/mcp"});
  EXPECT_FALSE(has_scope(c.auth, "admin:read"));
}

TEST(AdminConfigTest, EnabledAddsTheAdminResourceAndScopes) {
  const Config c = parse_ok(
      "server: {public_url: 'https://gate.example'}\n"
      "auth:\n  enabled: true\n  scopes:\n    calendar:read: [list_events]\n"
      "admin:\n  enabled: true\n  max_page_size: 20\n  max_body_bytes: 4096\n");
  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.max_page_size, 20U);
  EXPECT_EQ(c.admin.max_body_bytes, 4096U);
  EXPECT_EQ(c.auth.resources,
            (std::vector<std::string>{"https://gate.example/mcp", "https://gate.example/admin"}));
  const oauth::ScopeSet all(c.auth);
  EXPECT_TRUE(all.covers({"admin:write"}, {"admin:read"}));
  EXPECT_TRUE(all.tools("admin:write").empty());  // no MCP tool
  // The MCP guard announces the MCP scopes only; the admin guard the admin scopes only.
  const oauth::ScopeSet mcp(without_admin_scopes(c.auth));
  EXPECT_EQ(mcp.names(), std::vector<std::string>{"calendar:read"});
  const oauth::ScopeSet admin(only_admin_scopes(c.auth));
  EXPECT_EQ(admin.names(), (std::vector<std::string>{"admin:read", "admin:write"}));
  EXPECT_TRUE(oauth::validate_auth_options(c.auth).ok());
}

TEST(AdminConfigTest, RefusesUnknownKeysAndBadLimits) {
  EXPECT_FALSE(parse_config("admin: {enabled: true, tokn: x}\n", "t.yaml").ok());
  EXPECT_FALSE(parse_config("admin: {max_page_size: 0}\n", "t.yaml").ok());
  EXPECT_FALSE(parse_config("admin: {max_page_size: 5000}\n", "t.yaml").ok());
  // The operator organization must be one the configuration has.
  EXPECT_FALSE(parse_config("admin: {operator_org: nowhere}\n", "t.yaml").ok());
  EXPECT_FALSE(parse_config("admin: {operator_org: 'Bad Id!'}\n", "t.yaml").ok());
}

TEST(AdminConfigTest, OperatorOrganizationDefaultsToDefaultAndMayNameAListedOne) {
  EXPECT_EQ(parse_ok("admin: {enabled: false}\n").admin.operator_org, "default");
  const Config c = parse_ok(
      "organizations:\n  - {id: ops, name: Ops}\nadmin: {operator_org: ops}\n");
  EXPECT_EQ(c.admin.operator_org, "ops");
}

}  // namespace
}  // namespace mcpgate::app
