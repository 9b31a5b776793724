// Organizations through the authorization server's real pages and endpoints: home-realm
// discovery at the login form, password_login: false, the client policy at /authorize and at
// refresh, org_id in tokens and introspection, and a code without an organization.

#include <gtest/gtest.h>

#include "oauth/organizations.hpp"
#include "oauth/test_support.hpp"

namespace mcpgate::oauth {
namespace {

using testing::authorize_code;
using testing::basic;
using testing::Browser;
using testing::code_exchange;
using testing::form_post;
using testing::Harness;
using testing::jwt_payload;
using testing::kAppRedirect;
using testing::kOpsSecret;
using testing::refresh_call;

constexpr const char* kOrgPassword = "same-pass-for-all";

Harness::Setup org_setup() {
  Harness::Setup setup;
  OrganizationOptions acme;
  acme.id = "acme";
  acme.name = "Acme";
  acme.domains = {"acme.test"};
  acme.clients.allow_dcr = false;
  acme.clients.restrict_static = true;
  acme.clients.allowed = {"public-app"};
  OrganizationOptions sso;
  sso.id = "acme-sso";
  sso.name = "Acme SSO";
  sso.domains = {"sso.acme.test"};
  sso.password_login = false;
  setup.options.organizations = {acme, sso};
  setup.options.users = {{"alice", kOrgPassword},
                         {"alice@acme.test", kOrgPassword, "", "acme"},
                         {"carol@sso.acme.test", kOrgPassword, "", "acme-sso"}};
  return setup;
}

class OrganizationSignInTest : public ::testing::Test {
 protected:
  OrganizationSignInTest() : h(org_setup()) {}

  testing::Authorized sign_in(Browser& b, const std::string& user,
                              const std::string& client = "public-app",
                              const std::string& redirect = kAppRedirect) {
    return authorize_code(h, b, client, redirect, "calendar:read", {}, user, kOrgPassword);
  }

  Harness h;
};

TEST_F(OrganizationSignInTest, AnEmailDomainSignsInToItsOrganization) {
  Browser home(h);
  Browser away(h);
  const auto a = sign_in(home, "alice");
  const auto b = sign_in(away, "alice@ACME.test");  // the domain compares case-insensitively
  ASSERT_FALSE(a.code.empty());
  ASSERT_FALSE(b.code.empty()) << b.final->body();
  auto ta = h.call(code_exchange(a, "public-app"));
  auto tb = h.call(code_exchange(b, "public-app"));
  ASSERT_EQ(ta->status(), 200u) << ta->body();
  ASSERT_EQ(tb->status(), 200u) << tb->body();
  const auto ca = jwt_payload(ta->json()["access_token"].get<std::string>());
  const auto cb = jwt_payload(tb->json()["access_token"].get<std::string>());
  EXPECT_EQ(ca["org_id"], "default");
  EXPECT_EQ(cb["org_id"], "acme");
  EXPECT_EQ(cb["sub"], h.store().find_user_by_username("acme", "alice@acme.test")->id);
  EXPECT_NE(ca["sub"], cb["sub"]);
  // The refreshed token keeps the organization.
  auto r = h.call(refresh_call(tb->json()["refresh_token"].get<std::string>(), "public-app"));
  ASSERT_EQ(r->status(), 200u) << r->body();
  EXPECT_EQ(jwt_payload(r->json()["access_token"].get<std::string>())["org_id"], "acme");
  // Introspection reports it.
  auto i = h.call(form_post("/introspect", {{"token", r->json()["access_token"].get<std::string>()}},
                            {{"Authorization", basic("ops-dashboard", kOpsSecret)}}));
  EXPECT_EQ(i->json()["active"], true);
  EXPECT_EQ(i->json()["org_id"], "acme");
  auto ir = h.call(form_post("/introspect", {{"token", r->json()["refresh_token"].get<std::string>()}},
                             {{"Authorization", basic("ops-dashboard", kOpsSecret)}}));
  EXPECT_EQ(ir->json()["org_id"], "acme");
}

TEST_F(OrganizationSignInTest, AnUnknownDomainSignsInToTheDefaultOrganization) {
  // alice@acme.test exists only in acme; "bob@example.org" resolves to the default
  // organization, where no such user exists: the usual failure, no hint.
  Browser b(h);
  const auto got = sign_in(b, "bob@example.org");
  EXPECT_TRUE(got.code.empty());
  EXPECT_NE(got.final->body().find("Incorrect username or password."), std::string::npos);
  // A look-alike domain is not acme's.
  Browser c(h);
  const auto look = sign_in(c, "alice@evil-acme.test");
  EXPECT_TRUE(look.code.empty());
}

TEST_F(OrganizationSignInTest, PasswordLoginOffRefusesThePasswordForm) {
  Browser b(h);
  const auto got = sign_in(b, "carol@sso.acme.test");
  EXPECT_TRUE(got.code.empty());
  EXPECT_EQ(got.final->status(), 200u);  // the login page again, with the reason
  EXPECT_NE(got.final->body().find("Password sign-in is turned off for Acme SSO"),
            std::string::npos)
      << got.final->body();
  EXPECT_NE(got.final->body().find("name=\"password\""), std::string::npos);  // still the form
}

TEST_F(OrganizationSignInTest, AClientTheOrganizationDoesNotAllowGetsNoCode) {
  // ops-dashboard is pre-registered but not in acme's allowed list.
  Browser away(h);
  const auto refused =
      sign_in(away, "alice@acme.test", "ops-dashboard", "https://ops.example.com/cb");
  EXPECT_TRUE(refused.code.empty());
  EXPECT_EQ(refused.final->status(), 403u);
  EXPECT_NE(refused.final->body().find("Acme does not allow this application"),
            std::string::npos)
      << refused.final->body();
  EXPECT_TRUE(refused.final->header("Location").empty());
  // The default organization allows it.
  Browser home(h);
  const auto allowed = sign_in(home, "alice", "ops-dashboard", "https://ops.example.com/cb");
  EXPECT_FALSE(allowed.code.empty()) << allowed.final->body();
  // A DCR client: acme has allow_dcr: false.
  testing::Call register_dcr;
  register_dcr.method = http::bhttp::verb::post;
  register_dcr.target = "/register";
  register_dcr.headers = {{"Content-Type", "application/json"}};
  register_dcr.body = testing::Json{{"redirect_uris", {"https://dcr.example/cb"}},
                                    {"token_endpoint_auth_method", "none"},
                                    {"client_name", "DCR App"}}
                          .dump();
  auto reg = h.call(register_dcr);
  ASSERT_EQ(reg->status(), 201u) << reg->body();
  const std::string dcr_id = reg->json()["client_id"].get<std::string>();
  Browser away2(h);
  const auto dcr = sign_in(away2, "alice@acme.test", dcr_id, "https://dcr.example/cb");
  EXPECT_TRUE(dcr.code.empty());
  EXPECT_EQ(dcr.final->status(), 403u);
}

TEST_F(OrganizationSignInTest, ACodeWithoutAnOrganizationIsRefused) {
  // As a code from a version before organizations would be: no org_id in extra.
  const auto alice = h.store().find_user_by_username(store::kDefaultOrgId, "alice");
  ASSERT_TRUE(alice.ok());
  const auto pkce = testing::new_pkce();
  store::Grant grant{"g-legacy", alice->id, "public-app", "calendar:read",
                     testing::kTestResource, h.now(), std::nullopt};
  store::AuthorizationCode code;
  code.code_hash = store::hash_secret("legacy-code-0123456789");
  code.grant_id = grant.id;
  code.client_id = "public-app";
  code.user_id = alice->id;
  code.redirect_uri = kAppRedirect;
  code.code_challenge = pkce.challenge;
  code.code_challenge_method = "S256";
  code.scope = grant.scope;
  code.resource = grant.resource;
  code.created_at = h.now();
  code.expires_at = h.now() + 60;
  ASSERT_TRUE(h.store().create_authorization_code(grant, code).ok());
  testing::Authorized a;
  a.code = "legacy-code-0123456789";
  a.pkce = pkce;
  a.redirect_uri = kAppRedirect;
  auto ex = h.call(code_exchange(a, "public-app"));
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_EQ(ex->json()["error"], "invalid_grant");
}

}  // namespace
}  // namespace mcpgate::oauth
