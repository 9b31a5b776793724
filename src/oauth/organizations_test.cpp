// Organizations in the authorization server: settings JSON, the start-up sync, home-realm
// discovery by email domain, client policy, and users seeded or added per organization.

#include "oauth/organizations.hpp"

#include <gtest/gtest.h>

#include "oauth/cli.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::Harness;

OrganizationOptions acme_org() {
  OrganizationOptions acme;
  acme.id = "acme";
  acme.name = "Acme";
  acme.domains = {"acme.test", "acme-labs.example"};
  acme.password_login = false;
  acme.jit = true;
  acme.clients.allow_dcr = false;
  acme.clients.restrict_static = true;
  acme.clients.allowed = {"public-app", "https://cimd.example/app.json"};
  return acme;
}

TEST(OrganizationsTest, SettingsRoundTripThroughTheStoreShape) {
  const OrganizationOptions acme = acme_org();
  const nlohmann::json settings = organization_settings(acme);
  EXPECT_EQ(settings["domains"][0], "acme.test");
  EXPECT_EQ(settings["password_login"], false);
  EXPECT_EQ(settings["jit"], true);
  EXPECT_EQ(settings["clients"]["allow_dcr"], false);
  EXPECT_EQ(settings["clients"]["allowed"].size(), 2U);
  const OrganizationOptions back =
      organization_from_store(store::Organization{"acme", "Acme", settings, 1});
  EXPECT_EQ(back.domains, acme.domains);
  EXPECT_FALSE(back.password_login);
  EXPECT_TRUE(back.jit);
  EXPECT_FALSE(back.clients.allow_dcr);
  EXPECT_TRUE(back.clients.allow_cimd);
  EXPECT_TRUE(back.clients.restrict_static);
  EXPECT_EQ(back.clients.allowed, acme.clients.allowed);
  // No "allowed" member: pre-registered clients are not restricted.
  OrganizationOptions open = acme;
  open.clients.restrict_static = false;
  open.clients.allowed.clear();
  EXPECT_FALSE(organization_settings(open)["clients"].contains("allowed"));
}

TEST(OrganizationsTest, StoredSettingsOfTheWrongShapeTakeDefaults) {
  const nlohmann::json odd = {{"domains", "acme.test"},
                              {"password_login", "false"},
                              {"jit", 1},
                              {"clients", {{"allow_dcr", "no"}, {"allowed", {1, "x"}}}},
                              {"sso", {{"issuer", "https://idp.example"}}}};
  const auto o = organization_from_store(store::Organization{"acme", "Acme", odd, 1});
  EXPECT_TRUE(o.domains.empty());
  EXPECT_TRUE(o.password_login);  // only a JSON boolean counts
  EXPECT_FALSE(o.jit);
  EXPECT_TRUE(o.clients.allow_dcr);
  EXPECT_TRUE(o.clients.restrict_static);
  EXPECT_EQ(o.clients.allowed, std::vector<std::string>{"x"});
  const auto null_settings =
      organization_from_store(store::Organization{"x", "X", nlohmann::json(), 1});
  EXPECT_TRUE(null_settings.password_login);
}

TEST(OrganizationsTest, IdentifierDomainIsTheLowerCasedPartAfterTheLastAt) {
  EXPECT_EQ(identifier_domain("alice@ACME.test"), "acme.test");
  EXPECT_EQ(identifier_domain("a@b@acme.test"), "acme.test");
  EXPECT_EQ(identifier_domain("alice"), "");
  EXPECT_EQ(identifier_domain("@acme.test"), "");
  EXPECT_EQ(identifier_domain("alice@"), "");
  EXPECT_EQ(identifier_domain(""), "");
}

TEST(OrganizationsTest, ResolvesIdentifiersByEmailDomainElseTheDefault) {
  const OrganizationDirectory dir({acme_org()});
  EXPECT_EQ(dir.resolve_identifier("bob@acme.test").id, "acme");
  EXPECT_EQ(dir.resolve_identifier("bob@Acme-Labs.Example").id, "acme");
  EXPECT_EQ(dir.resolve_identifier("alice").id, store::kDefaultOrgId);
  EXPECT_EQ(dir.resolve_identifier("bob@other.test").id, store::kDefaultOrgId);
  // A look-alike is not a match: the whole domain must be listed.
  EXPECT_EQ(dir.resolve_identifier("bob@evil-acme.test").id, store::kDefaultOrgId);
  EXPECT_EQ(dir.resolve_identifier("bob@sub.acme.test").id, store::kDefaultOrgId);
  EXPECT_EQ(dir.resolve_identifier("bob@acme.test.evil").id, store::kDefaultOrgId);
  EXPECT_EQ(dir.default_organization().name, "Default");
  EXPECT_EQ(dir.find("acme")->name, "Acme");
  EXPECT_EQ(dir.find("nope"), nullptr);
  ASSERT_EQ(dir.all().size(), 2U);
}

TEST(OrganizationsTest, ListingTheDefaultOrganizationChangesIt) {
  OrganizationOptions d;
  d.id = store::kDefaultOrgId;
  d.name = "Everyone";
  d.password_login = false;
  const OrganizationDirectory dir({acme_org(), d});
  ASSERT_EQ(dir.all().size(), 2U);
  EXPECT_EQ(dir.default_organization().name, "Everyone");
  EXPECT_FALSE(dir.resolve_identifier("carol").password_login);
}

TEST(OrganizationsTest, ClientPolicy) {
  const OrganizationOptions acme = acme_org();
  EXPECT_TRUE(organization_allows_client(acme, "public-app", ClientOrigin::kStatic));
  EXPECT_FALSE(organization_allows_client(acme, "ops-dashboard", ClientOrigin::kStatic));
  EXPECT_FALSE(organization_allows_client(acme, "dcr-123", ClientOrigin::kDcr));
  EXPECT_TRUE(organization_allows_client(acme, "https://other.example/c.json", ClientOrigin::kCimd));
  OrganizationOptions everything;
  EXPECT_TRUE(organization_allows_client(everything, "ops-dashboard", ClientOrigin::kStatic));
  EXPECT_TRUE(organization_allows_client(everything, "dcr-1", ClientOrigin::kDcr));
  EXPECT_TRUE(organization_allows_client(everything, "https://x/c.json", ClientOrigin::kCimd));
  OrganizationOptions listed_only = acme;
  listed_only.clients.allow_cimd = false;
  EXPECT_TRUE(organization_allows_client(listed_only, "https://cimd.example/app.json",
                                         ClientOrigin::kCimd));
  EXPECT_FALSE(organization_allows_client(listed_only, "https://other.example/c.json",
                                          ClientOrigin::kCimd));
}

TEST(OrganizationsTest, StartUpSyncsOrganizationsAndSeedsUsersIntoThem) {
  Harness::Setup setup;
  setup.options.organizations = {acme_org()};
  setup.options.users.push_back(UserOptions{"alice@acme.test", "acme-pass-1", "acme-alice", "acme"});
  setup.options.users.push_back(UserOptions{"alice", "x-pass-123", "", "acme"});
  Harness h(setup);
  const auto orgs = h.store().list_organizations();
  ASSERT_TRUE(orgs.ok());
  ASSERT_EQ(orgs->size(), 2U);
  const auto acme = h.store().find_organization("acme");
  ASSERT_TRUE(acme.ok());
  EXPECT_EQ(acme->settings["domains"][0], "acme.test");
  EXPECT_EQ(h.store().find_organization(store::kDefaultOrgId)->name, "Default");
  // "alice" exists in both organizations; each is its own user.
  const auto home = h.store().find_user_by_username(store::kDefaultOrgId, "alice");
  const auto away = h.store().find_user_by_username("acme", "alice");
  ASSERT_TRUE(home.ok() && away.ok());
  EXPECT_NE(home->id, away->id);
  EXPECT_EQ(away->org_id, "acme");
  EXPECT_EQ(h.store().find_user_by_username("acme", "ALICE@acme.test")->id, "acme-alice");
  // A second start changes nothing and keeps the rows.
  ASSERT_TRUE(sync_organizations(h.store(), setup.options, h.now() + 100).ok());
  ASSERT_TRUE(seed_users(h.store(), setup.options, h.now() + 100).ok());
  EXPECT_EQ(h.store().find_organization("acme")->created_at, h.now());
}

TEST(OrganizationsTest, AddUserNamesAnOrganization) {
  Harness h;
  ASSERT_TRUE(h.store().upsert_organization(store::Organization{"acme", "Acme", {}, 1}).ok());
  ASSERT_TRUE(add_user(h.store(), "bob", "bob-acme-pass", h.now(), {}, "acme").ok());
  EXPECT_EQ(h.store().find_user_by_username("acme", "bob")->org_id, "acme");
  EXPECT_EQ(add_user(h.store(), "bob", "again-pass-1", h.now(), {}, "acme").error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(add_user(h.store(), "carol", "carol-pass-1", h.now(), {}, "ghost").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(add_user(h.store(), "carol", "carol-pass-1", h.now(), {}, "Bad Org").error().code,
            ErrorCode::kInvalidArgument);
  // passwd finds the user in the named organization only.
  EXPECT_TRUE(set_user_password(h.store(), "bob", "new-acme-pass", h.now(), "acme").ok());
  EXPECT_EQ(set_user_password(h.store(), "carol", "x-pass-1234", h.now(), "acme").error().code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mcpgate::oauth
