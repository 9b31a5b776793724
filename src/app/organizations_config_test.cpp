// The top-level `organizations:` section and `auth.users[].org` (README "Organizations").

#include <string>

#include <gtest/gtest.h>

#include "app/config.hpp"
#include "app/config_test_support.hpp"

namespace mcpgate::app {
namespace {

using test_support::parse_ok;

std::string org_config_error(const std::string& yaml) {
  auto c = parse_config(yaml, "orgs.yaml");
  EXPECT_FALSE(c.ok()) << "accepted:\n" << yaml;
  return c.ok() ? "" : c.error().message;
}

TEST(OrganizationsConfigTest, ParsesOrganizationsAndUserOrgs) {
  const Config c = parse_ok(R"(organizations:
  - id: acme
    name: Acme Corp
    domains: [Acme.Test, acme-labs.example]
    password_login: false
    jit: true
    clients:
      allow_dcr: false
      allowed: [cli-app]
  - id: beta
auth:
  users:
    - {username: alice, password: pw-123456}
    - {username: alice@acme.test, password: pw-123456, org: acme}
)");
  ASSERT_EQ(c.auth.organizations.size(), 2U);
  const auto& acme = c.auth.organizations[0];
  EXPECT_EQ(acme.id, "acme");
  EXPECT_EQ(acme.name, "Acme Corp");
  ASSERT_EQ(acme.domains.size(), 2U);
  EXPECT_EQ(acme.domains[0], "acme.test");  // lower-cased
  EXPECT_FALSE(acme.password_login);
  EXPECT_TRUE(acme.jit);
  EXPECT_FALSE(acme.clients.allow_dcr);
  EXPECT_TRUE(acme.clients.allow_cimd);
  EXPECT_TRUE(acme.clients.restrict_static);
  ASSERT_EQ(acme.clients.allowed.size(), 1U);
  const auto& beta = c.auth.organizations[1];
  EXPECT_TRUE(beta.password_login);  // defaults
  EXPECT_FALSE(beta.jit);
  EXPECT_TRUE(beta.clients.allow_dcr);
  EXPECT_FALSE(beta.clients.restrict_static);
  ASSERT_EQ(c.auth.users.size(), 2U);
  EXPECT_EQ(c.auth.users[0].org, "default");
  EXPECT_EQ(c.auth.users[1].org, "acme");
  const auto valid = oauth::validate_auth_options(c.auth);
  EXPECT_TRUE(valid.ok()) << (valid.ok() ? "" : valid.error().message);
}

TEST(OrganizationsConfigTest, ADomainBelongsToOneOrganization) {
  const std::string e = org_config_error(R"(organizations:
  - id: acme
    domains: [acme.test]
  - id: other
    domains: [example.org, ACME.test]
)");
  EXPECT_NE(e.find("orgs.yaml:5:"), std::string::npos) << e;  // file:line of the duplicate
  EXPECT_NE(e.find("organizations[1].domains[1]"), std::string::npos) << e;
  EXPECT_NE(e.find("already belongs to organization 'acme'"), std::string::npos) << e;
}

TEST(OrganizationsConfigTest, RefusesBadIdsDuplicatesAndDomains) {
  for (const char* id : {"Acme", "-acme", "ac_me", "acme.test", "\"\"", "\"a b\""}) {
    const std::string e =
        org_config_error(std::string("organizations:\n  - id: ") + id + "\n");
    EXPECT_NE(e.find("organizations[0].id"), std::string::npos) << id << ": " << e;
  }
  EXPECT_NE(org_config_error("organizations:\n  - name: no id\n").find("organizations[0].id"),
            std::string::npos);
  EXPECT_NE(org_config_error("organizations:\n  - id: " + std::string(64, 'a') + "\n")
                .find("organizations[0].id"),
            std::string::npos);
  EXPECT_NE(org_config_error("organizations:\n  - id: acme\n  - id: acme\n").find("listed twice"),
            std::string::npos);
  for (const char* d : {"\"\"", "a@b.c", ".acme.test", "acme.test.", "acme test", "-x.test"}) {
    const std::string e = org_config_error(
        std::string("organizations:\n  - id: acme\n    domains: [") + d + "]\n");
    EXPECT_NE(e.find("must be an email domain"), std::string::npos) << d << ": " << e;
  }
  EXPECT_NE(org_config_error("organizations: {id: acme}\n").find("must be a list"),
            std::string::npos);
  EXPECT_NE(org_config_error("organizations:\n  - id: acme\n    sso_typo: 1\n")
                .find("unknown key"),
            std::string::npos);
  EXPECT_NE(org_config_error("organizations:\n  - id: acme\n    password_login: maybe\n")
                .find("must be true or false"),
            std::string::npos);
  EXPECT_NE(org_config_error("organizations:\n  - id: acme\n    clients: {allowed: x}\n")
                .find("must be a list"),
            std::string::npos);
}

TEST(OrganizationsConfigTest, AUserMustNameAKnownOrganization) {
  const std::string e = org_config_error(R"(auth:
  users:
    - {username: bob, password: pw-123456, org: nowhere}
)");
  EXPECT_NE(e.find("orgs.yaml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("auth.users[0].org"), std::string::npos) << e;
  EXPECT_NE(org_config_error("auth:\n  users:\n    - {username: b, password: p, org: Bad_Org}\n")
                .find("is not an organization id"),
            std::string::npos);
  // The default organization needs no listing.
  EXPECT_EQ(parse_ok("auth:\n  users:\n    - {username: b, password: p, org: default}\n")
                .auth.users[0]
                .org,
            "default");
}

}  // namespace
}  // namespace mcpgate::app
